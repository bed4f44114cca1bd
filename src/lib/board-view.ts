/**
 * The board's data: one column per status the filter allows, each showing a page of cards (the
 * CC_PAGE_SIZE setting) and growing a page at a time through "Show more" (`?todo=60`), so a board
 * never renders an unbounded number of cards however many tasks there are.
 */
import type { Replica } from '../server/persistence/replica.ts';
import { listTasks, type Task } from '../server/tasks/tasks.ts';
import { STATUSES, type TaskStatus } from '../server/tasks/validation.ts';
import type { UserClock } from './dates.ts';
import { loadSharedView, readTaskQuery, type TaskView } from './task-view.ts';
import { type Paths, showMoreHref } from './urls.ts';

/** No column grows past this many cards through "Show more" (the rest stay a search away). */
export const MAX_SHOWN = 1000;

export interface ColumnView {
  status: TaskStatus;
  /** Every task of this status the filter selects. */
  total: number;
  /** The cards shown, in the filter's order. */
  tasks: Task[];
  /** The highlighted task when it belongs here but is beyond the cards shown: shown first. */
  pinned: Task | undefined;
  /** "Show more": the board with this column a page longer; absent when everything is shown. */
  moreHref: string | undefined;
  /** How many more cards that link adds. */
  moreCount: number;
}

export interface BoardView extends TaskView {
  columns: ColumnView[];
}

/** The columns a status filter leaves on the board. */
export function boardStatuses(status: TaskView['filter']['status']): TaskStatus[] {
  if (status === 'open') return ['todo', 'doing'];
  return status ? [status] : [...STATUSES];
}

/** How many cards a column shows for its `?todo=60`-style parameter: whole pages, at least one. */
export function shownFor(param: string | null, pageSize: number): number {
  const asked = Number(param);
  if (!Number.isSafeInteger(asked) || asked <= pageSize) return pageSize;
  return Math.min(Math.ceil(asked / pageSize) * pageSize, MAX_SHOWN);
}

/** Loads the board for `params` in one read of the database. */
export function loadBoard(
  workspace: Replica,
  paths: Paths,
  params: URLSearchParams,
  clock: UserClock,
  pageSize: number,
  here: string,
): BoardView {
  // The board shows the user's own order (drag and drop, the task page's order buttons).
  const query = readTaskQuery(params, 'manual');
  return workspace.read((db) => {
    const shared = loadSharedView(db, query, params, clock, paths.board);
    const columns = boardStatuses(query.filter.status).map((status): ColumnView => {
      const shown = shownFor(params.get(status), pageSize);
      // One card more than shown: its id is where "Show more" lands.
      const tasks = listTasks(db, { ...query.filter, status }, { limit: shown + 1, today: clock.today });
      const firstHidden = tasks.length > shown ? tasks.pop() : undefined;
      const total = shared.counts.byStatus[status];
      const h = shared.highlight;
      const pinned = h && h.status === status && !tasks.some((t) => t.id === h.id) ? h : undefined;
      const next = Math.min(shown + pageSize, MAX_SHOWN, total);
      const more = firstHidden !== undefined && shown < MAX_SHOWN;
      return {
        status,
        total,
        tasks,
        pinned,
        moreHref: more ? showMoreHref(here, status, next, firstHidden.id) : undefined,
        moreCount: more ? next - shown : 0,
      };
    });
    return { ...shared, columns };
  });
}
