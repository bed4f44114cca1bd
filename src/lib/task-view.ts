import { actions } from 'astro:actions';
import type { AstroGlobal } from 'astro';
import { isAppError } from '../server/errors.ts';
import type { Runtime } from '../server/runtime.ts';
import { listProjects, type Project } from '../server/tasks/projects.ts';
import { listTasks, type Task } from '../server/tasks/tasks.ts';
import { parseTaskFilter, type TaskFilter } from '../server/tasks/validation.ts';
import { type FormFailure, settleActions } from './form-state.ts';
import { setPageStatus } from './page-status.ts';
import { getCurrentPath } from './urls.ts';

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

/** What the board and the list render, once their forms' results are settled. */
export interface TaskPage {
  view: TaskView;
  /** Failed create/move posts to show again, with what was typed. */
  failures: Partial<Record<'create' | 'move', FormFailure>>;
  /** This page's path and query, where its forms return to. */
  here: string;
}

/**
 * The board's and the list's shared start: a successful create or move redirects (POST → 303 →
 * GET), otherwise the page's data is loaded and the response status set (the failed form's, 400 for
 * a bad filter, else 200). Returns the redirect Response when there is one.
 */
export function openTaskPage(Astro: AstroGlobal): Response | TaskPage {
  const user = Astro.locals.user;
  if (!user) return Astro.redirect('/login', 303);
  const settled = settleActions({
    create: Astro.getActionResult(actions.createTask),
    move: Astro.getActionResult(actions.moveTask),
  });
  if (settled.redirect) return Astro.redirect(settled.redirect, 303);
  const view = loadTaskView(Astro.locals.rt, user.id, Astro.url.searchParams);
  setPageStatus(Astro.response, settled.status ?? (view.filterError ? 400 : 200));
  return { view, failures: settled.failures, here: getCurrentPath(Astro.url) };
}
