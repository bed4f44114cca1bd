import type { Project } from '../server/tasks/projects.ts';

/** What deleting a project takes with it, e.g. "Its 2 tasks will be deleted with it (1 not done yet)." */
export function projectDeletionNote(project: Pick<Project, 'taskCount' | 'openCount'>): string {
  const n = project.taskCount;
  if (n === 0) return 'It has no tasks.';
  const open = project.openCount > 0 ? ` (${project.openCount} not done yet)` : '';
  return `Its ${n === 1 ? 'task' : `${n} tasks`} will be deleted with it${open}.`;
}
