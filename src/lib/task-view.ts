import { isAppError } from '../server/errors.ts';
import type { Runtime } from '../server/runtime.ts';
import { listProjects, type Project } from '../server/tasks/projects.ts';
import { listTasks, type Task } from '../server/tasks/tasks.ts';
import { parseTaskFilter, type TaskFilter } from '../server/tasks/validation.ts';

/** The filter form's values as typed (strings), so a bad value is shown back, not silently dropped. */
export interface FilterValues {
  q: string;
  status: string;
  priority: string;
  project: string;
  sort: string;
}

/** What the board and the list render: the user's tasks under the query's filter, and their projects. */
export interface TaskView {
  values: FilterValues;
  filter: TaskFilter;
  /** Set when the query string held a bad filter; the view then shows every task instead. */
  filterError: string | undefined;
  /** Whether any filter (other than the sort order) narrows the tasks shown. */
  filtered: boolean;
  tasks: Task[];
  projects: Project[];
}

/**
 * Loads a board or list page's data in one read of the database. A malformed filter (e.g. a
 * hand-edited `?status=later`) is reported in `filterError` rather than thrown, so the page can
 * say what is wrong instead of answering 500.
 */
export function loadTaskView(rt: Runtime, userId: number, params: URLSearchParams): TaskView {
  const values: FilterValues = {
    q: params.get('q') ?? '',
    status: params.get('status') ?? '',
    priority: params.get('priority') ?? '',
    project: params.get('project') ?? '',
    sort: params.get('sort') ?? '',
  };
  let filter: TaskFilter = { sort: 'recent' };
  let filterError: string | undefined;
  try {
    filter = parseTaskFilter(params);
  } catch (err) {
    if (!isAppError(err, 'invalid')) throw err;
    filterError = err.message;
  }
  const { tasks, projects } = rt.engine.read((db) => ({
    tasks: listTasks(db, userId, filter),
    projects: listProjects(db, userId),
  }));
  const filtered = Boolean(filter.q || filter.status || filter.priority || filter.projectId);
  return { values, filter, filterError, filtered, tasks, projects };
}
