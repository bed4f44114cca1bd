import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { statement } from './statements.ts';

export interface Project {
  id: number;
  name: string;
  isInbox: boolean;
  taskCount: number;
  openCount: number;
  createdAt: string;
  updatedAt: string;
}

interface ProjectRow {
  id: number;
  name: string;
  is_inbox: number;
  task_count: number;
  open_count: number;
  created_at: string;
  updated_at: string;
}

export const INBOX = 'Inbox';

const SELECT = `
  SELECT p.id, p.name, p.is_inbox, p.created_at, p.updated_at,
         (SELECT count(*) FROM tasks t WHERE t.project_id = p.id) AS task_count,
         (SELECT count(*) FROM tasks t WHERE t.project_id = p.id AND t.status != 'done') AS open_count
  FROM projects p`;

function toProject(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    isInbox: r.is_inbox === 1,
    taskCount: r.task_count,
    openCount: r.open_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The user's projects, Inbox first, then by name. */
export function listProjects(db: Db, userId: number): Project[] {
  const rows = statement(
    db,
    `${SELECT} WHERE p.user_id = ? ORDER BY p.is_inbox DESC, p.name COLLATE NOCASE`,
  ).all(userId) as ProjectRow[];
  return rows.map(toProject);
}

export function getProject(db: Db, userId: number, id: number): Project {
  const row = db.prepare(`${SELECT} WHERE p.id = ? AND p.user_id = ?`).get(id, userId) as
    | ProjectRow
    | undefined;
  if (!row) throw new AppError('not_found', `Project ${id} was not found.`);
  return toProject(row);
}

export function getInbox(db: Db, userId: number): Project {
  const row = db.prepare(`${SELECT} WHERE p.user_id = ? AND p.is_inbox = 1`).get(userId) as
    | ProjectRow
    | undefined;
  if (!row) throw new AppError('not_found', 'The Inbox was not found.');
  return toProject(row);
}

/** Creates a project; names are unique per user, ignoring case. */
export function createProject(
  db: Db,
  userId: number,
  name: string,
  now: Date = new Date(),
  isInbox = false,
): Project {
  assertNameFree(db, userId, name);
  const at = now.toISOString();
  const { lastInsertRowid } = db
    .prepare('INSERT INTO projects (user_id, name, is_inbox, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
    .run(userId, name, isInbox ? 1 : 0, at, at);
  return getProject(db, userId, Number(lastInsertRowid));
}

export function renameProject(
  db: Db,
  userId: number,
  id: number,
  name: string,
  now: Date = new Date(),
): Project {
  const project = getProject(db, userId, id);
  if (project.name === name) return project;
  if (project.name.toLowerCase() !== name.toLowerCase()) assertNameFree(db, userId, name);
  db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ? AND user_id = ?').run(
    name,
    now.toISOString(),
    id,
    userId,
  );
  return getProject(db, userId, id);
}

/** Deletes a project and all its tasks. The Inbox stays: it is where new tasks go. */
export function deleteProject(db: Db, userId: number, id: number): { deletedTasks: number } {
  const project = getProject(db, userId, id);
  if (project.isInbox) throw new AppError('invalid', 'The Inbox cannot be deleted.', { field: 'id' });
  const { changes } = db.prepare('DELETE FROM tasks WHERE project_id = ? AND user_id = ?').run(id, userId);
  db.prepare('DELETE FROM projects WHERE id = ? AND user_id = ?').run(id, userId);
  return { deletedTasks: changes };
}

function assertNameFree(db: Db, userId: number, name: string): void {
  const taken = db
    .prepare('SELECT 1 FROM projects WHERE user_id = ? AND name = ? COLLATE NOCASE')
    .get(userId, name);
  if (taken)
    throw new AppError('conflict', `You already have a project called "${name}".`, { field: 'name' });
}
