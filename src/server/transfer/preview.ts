import { PRIORITY_LABEL, STATUS_LABEL } from '../tasks/validation.ts';
import type { ImportedWorkspace, ImportPlan, ImportSummary } from './import.ts';
import type { ImportTask } from './model.ts';

/**
 * What the account page shows before an import: per workspace it goes into, what it makes there
 * and the first tasks as they will look — enough to see the columns were read the right way.
 */

export interface PreviewTask {
  title: string;
  status: string;
  priority: string;
  dueDate: string;
  project: string;
  labels: string;
  checklist: string;
}

export interface PreviewWorkspace extends ImportedWorkspace {
  sample: PreviewTask[];
  /** Tasks not in the sample. */
  more: number;
}

/** Tasks shown per workspace. */
const SAMPLE = 10;

export function previewOf(summary: ImportSummary, plan: ImportPlan): PreviewWorkspace[] {
  const sources = [...(plan.existing ? [plan.existing.sources] : []), ...plan.created.map((c) => c.sources)];
  return summary.workspaces.map((w, i) => {
    const tasks = (sources[i] ?? []).flatMap((s) => s.tasks);
    return { ...w, sample: tasks.slice(0, SAMPLE).map(view), more: Math.max(0, tasks.length - SAMPLE) };
  });
}

function view(t: ImportTask): PreviewTask {
  const done = t.checklist.filter((c) => c.done).length;
  return {
    title: t.title,
    status: STATUS_LABEL[t.status],
    priority: PRIORITY_LABEL[t.priority],
    dueDate: t.dueDate ?? '',
    project: t.project ?? 'Inbox',
    labels: t.labels.join(', '),
    checklist: t.checklist.length > 0 ? `${done}/${t.checklist.length}` : '',
  };
}
