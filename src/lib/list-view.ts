/**
 * The list's data: one page of the filtered tasks (CC_PAGE_SIZE per page, `?page=2`), with the
 * counts of all of them, so the list never renders an unbounded number of cards.
 */
import type { Replica } from '../server/persistence/replica.ts';
import { listTasks, type Task } from '../server/tasks/tasks.ts';
import type { UserClock } from './dates.ts';
import { loadSharedView, readTaskQuery, type TaskView } from './task-view.ts';
import { PAGE_PARAM, type Paths, pageHref } from './urls.ts';

export interface ListView extends TaskView {
  tasks: Task[];
  /** The highlighted task when it is on another page: shown first, so the user sees it. */
  pinned: Task | undefined;
  /** 1-based page number and page count (at least 1). */
  page: number;
  pages: number;
  /** Positions (1-based) of the first and last task shown among all that match. */
  from: number;
  to: number;
  prevHref: string | undefined;
  nextHref: string | undefined;
}

/** The page a `?page=` value asks for, kept within 1…pages (anything unreadable is page 1). */
export function pageFor(param: string | null, pages: number): number {
  const asked = Number(param);
  if (!Number.isSafeInteger(asked) || asked < 1) return 1;
  return Math.min(asked, pages);
}

/** Loads one page of the list for `params` in one read of the database. */
export function loadList(
  workspace: Replica,
  paths: Paths,
  params: URLSearchParams,
  clock: UserClock,
  pageSize: number,
  here: string,
): ListView {
  const query = readTaskQuery(params);
  return workspace.read((db) => {
    const shared = loadSharedView(db, query, params, clock, paths.list);
    const total = shared.counts.total;
    const pages = Math.max(1, Math.ceil(total / pageSize));
    const page = pageFor(params.get(PAGE_PARAM), pages);
    const offset = (page - 1) * pageSize;
    const tasks = listTasks(db, query.filter, { limit: pageSize, offset, today: clock.today });
    const h = shared.highlight;
    return {
      ...shared,
      tasks,
      pinned: h && !tasks.some((t) => t.id === h.id) ? h : undefined,
      page,
      pages,
      from: tasks.length > 0 ? offset + 1 : 0,
      to: offset + tasks.length,
      prevHref: page > 1 ? pageHref(here, page - 1) : undefined,
      nextHref: page < pages ? pageHref(here, page + 1) : undefined,
    };
  });
}
