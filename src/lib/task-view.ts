/**
 * What the board and the list share: the filter read from the query string, the counts, the
 * projects, the notice a redirect carried (`?notice=moved&task=7`) and the task it highlights.
 * board-view.ts and list-view.ts add their own page of cards.
 */
import { isAppError } from '../server/errors.ts';
import type { Db } from '../server/persistence/sqlite-file.ts';
import { type Label, listLabels } from '../server/tasks/labels.ts';
import { listProjects, type Project } from '../server/tasks/projects.ts';
import { countTasks, getTask, matchesFilter, type Task, type TaskCounts } from '../server/tasks/tasks.ts';
import type { TrashEntry } from '../server/tasks/trash.ts';
import { parseTaskFilter, STATUS_LABEL, type TaskFilter, type TaskSort } from '../server/tasks/validation.ts';
import type { UserClock } from './dates.ts';
import type { FormFailure } from './form-state.ts';
import { cardId, NOTICE_PARAM, type NoticeKind, TASK_PARAM } from './urls.ts';

/** The filter form's values as typed (strings), so a bad value is shown back, not silently dropped. */
export interface FilterValues {
  q: string;
  status: string;
  priority: string;
  project: string;
  label: string;
  sort: string;
  /** The page's own order, used when `sort` is empty (the board: its manual order). */
  defaultSort: TaskSort;
}

/** The filter a board or list page was asked for. */
export interface TaskQuery {
  values: FilterValues;
  filter: TaskFilter;
  /** Set when the query string held a bad filter; the view then shows every task instead. */
  filterError: string | undefined;
  /** Whether any filter (other than the sort order) narrows the tasks shown. */
  filtered: boolean;
}

/** What a redirect after a task form says happened, ready to show. */
export interface Notice {
  kind: NoticeKind;
  task: Task;
  /** The sentence for the status message, e.g. `Moved “Buy milk” to Done`. */
  message: string;
  /** Set when the current filter hides the task: a link that shows it. */
  showHref: string | undefined;
}

/** What the board and the list both render above and around their cards. */
export interface TaskView extends TaskQuery {
  projects: Project[];
  /** The workspace's labels: the new-task form's checkboxes and the label filter. */
  labels: Label[];
  /** Counts of every task the filter selects, whatever the page shows. */
  counts: TaskCounts;
  notice: Notice | undefined;
  /** The task the notice is about, when it is one of those shown: its card is highlighted. */
  highlight: Task | undefined;
  clock: UserClock;
}

/** A loaded page of the board or the list, once its forms' results are settled. */
export interface TaskPage<V extends TaskView> {
  view: V;
  /** Failed create/move posts to show again, with what was typed. */
  failures: Partial<Record<'create' | 'move' | 'undo', FormFailure>>;
  /** After a delete (`?undo=ID`): what the Undo button restores, while it still can. */
  undo: TrashEntry | undefined;
  /** Where this page's forms return to: its path and query, without the last notice. */
  here: string;
  pageSize: number;
}

/**
 * Reads the filter from a query string; a malformed one is reported, not thrown. Without `sort`
 * the page's `defaultSort` applies.
 */
export function readTaskQuery(params: URLSearchParams, defaultSort: TaskSort = 'recent'): TaskQuery {
  const values: FilterValues = {
    q: params.get('q') ?? '',
    status: params.get('status') ?? '',
    priority: params.get('priority') ?? '',
    project: params.get('project') ?? '',
    label: params.get('label') ?? '',
    sort: params.get('sort') ?? '',
    defaultSort,
  };
  let filter: TaskFilter = { sort: defaultSort };
  let filterError: string | undefined;
  try {
    filter = parseTaskFilter(params, defaultSort);
  } catch (err) {
    if (!isAppError(err, 'invalid')) throw err;
    filterError = err.message;
  }
  const filtered = Boolean(filter.q || filter.status || filter.priority || filter.projectId || filter.label);
  return { values, filter, filterError, filtered };
}

/**
 * Loads what board and list share, inside the caller's read of the database: projects, counts,
 * and the notice of `?notice=…&task=…` (ignored when malformed or about a task that is gone).
 * `showPath` is the unfiltered view the notice's "show it" link goes to.
 */
export function loadSharedView(
  db: Db,
  query: TaskQuery,
  params: URLSearchParams,
  clock: UserClock,
  showPath: (query: string) => string,
): TaskView {
  const projects = listProjects(db);
  const labels = listLabels(db);
  const counts = countTasks(db, query.filter, { today: clock.today });
  const taskId = Number(params.get(TASK_PARAM));
  let task: Task | undefined;
  if (Number.isSafeInteger(taskId) && taskId > 0) {
    try {
      task = getTask(db, taskId, clock.today);
    } catch (err) {
      if (!isAppError(err, 'not_found')) throw err;
    }
  }
  const visible = task !== undefined && matchesFilter(db, query.filter, task.id);
  const kind = params.get(NOTICE_PARAM);
  const notice: Notice | undefined =
    task && (kind === 'added' || kind === 'moved' || kind === 'saved' || kind === 'restored')
      ? {
          kind,
          task,
          message: noticeMessage(kind, task),
          showHref: visible ? undefined : `${showPath(`${TASK_PARAM}=${task.id}`)}#${cardId(task.id)}`,
        }
      : undefined;
  return { ...query, projects, labels, counts, notice, highlight: visible ? task : undefined, clock };
}

function noticeMessage(kind: NoticeKind, task: Task): string {
  const status = STATUS_LABEL[task.status];
  if (kind === 'added') return `Added “${task.title}” to ${status}`;
  if (kind === 'moved') return `Moved “${task.title}” to ${status}`;
  if (kind === 'restored') return `Restored “${task.title}”`;
  return `Saved “${task.title}”`;
}
