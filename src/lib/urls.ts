/**
 * Every in-app URL the pages build: the pages themselves, where a form posts, where it comes back
 * to, links that keep the filters, "Show more" and page links, and the notice a redirect carries.
 * One place, so a prefix for every path (e.g. a workspace) is one change. Every `returnTo`/`back`
 * value is checked again on the server (safeReturnTo), so these only need to produce good paths,
 * not defend against bad ones.
 */
import type { TaskStatus } from '../server/tasks/validation.ts';

const ACTION_PARAM = '_action';

/** The query parameters that choose which tasks a board or list shows (kept when switching view). */
export const FILTER_PARAMS = ['q', 'status', 'priority', 'project', 'label', 'sort'] as const;

/** What a redirect after a task form says happened (shown once as a status message). */
export type NoticeKind = 'added' | 'moved' | 'saved' | 'restored';
export const NOTICE_PARAM = 'notice';
/** The task a notice is about: highlighted, and shown even when it is beyond the page. */
export const TASK_PARAM = 'task';
/** After a delete: the trash entry its Undo restores (the page reads the title from the database). */
export const UNDO_PARAM = 'undo';
/** The list's page number. */
export const PAGE_PARAM = 'page';

/** The pages of one workspace, all under `/w/{id}/`. */
export interface Paths {
  board(query?: string): string;
  list(query?: string): string;
  projects(): string;
  project(id: number): string;
  projectDelete(id: number): string;
  /** A task's page; `back` is where its "Back" link and its forms return to (default the board). */
  task(id: number, back?: string): string;
  taskDelete(id: number, back?: string): string;
  members(): string;
  settings(): string;
  labels(): string;
}

/** The pages of workspace `workspaceId`. */
export function pathsIn(workspaceId: string): Paths {
  const base = `/w/${workspaceId}`;
  const paths: Paths = {
    board: (query = '') => withQuery(`${base}/`, query),
    list: (query = '') => withQuery(`${base}/list`, query),
    projects: () => `${base}/projects`,
    project: (id) => paths.board(`project=${id}`),
    projectDelete: (id) => `${base}/projects/${id}/delete`,
    // The board is where a task page returns to anyway, so links from it stay short.
    task: (id, back) => withBackUnless(`${base}/tasks/${id}`, back, paths.board()),
    taskDelete: (id, back) => withBackUnless(`${base}/tasks/${id}/delete`, back, paths.board()),
    members: () => `${base}/members`,
    settings: () => `${base}/settings`,
    labels: () => `${base}/labels`,
  };
  return paths;
}

/** The pages of the workspace the request works in (its URL's, else the user's personal one). */
export function pathsOf(locals: App.Locals): Paths {
  return pathsIn(locals.workspace?.id ?? locals.user?.personalWorkspaceId ?? '');
}

/** The element id of a task's card, the fragment a redirect lands on. */
export function cardId(taskId: number): string {
  return `task-${taskId}`;
}

/** The current page's path and query, without Astro's `_action` parameter. */
export function getCurrentPath(url: URL): string {
  const params = new URLSearchParams(url.search);
  params.delete(ACTION_PARAM);
  return withQuery(url.pathname, params.toString());
}

/**
 * Where a task page's forms come back to: the current path and query without the one-off notice
 * of the last redirect (so it is not repeated after the next form).
 */
export function getReturnPath(url: URL): string {
  const params = new URLSearchParams(url.search);
  for (const p of [ACTION_PARAM, NOTICE_PARAM, TASK_PARAM, UNDO_PARAM]) params.delete(p);
  return withQuery(url.pathname, params.toString());
}

/**
 * The URL a form posts to so that `action` runs and, on failure, this same page (with its filters)
 * renders the form again. `action` is an Astro action (its string form is `?_action=name`).
 */
export function getActionUrl(path: string, action: { toString(): string }): string {
  const name = new URLSearchParams(String(action)).get(ACTION_PARAM) ?? '';
  const [pathname = '/', query = ''] = path.split('?', 2);
  const params = new URLSearchParams(query);
  params.delete(ACTION_PARAM);
  params.set(ACTION_PARAM, name);
  return `${pathname}?${params.toString()}`;
}

/** `path` with `?back=<from>` so the next page can offer a way back to where the user was. */
export function withBack(path: string, from: string): string {
  return `${path}?back=${encodeURIComponent(from)}`;
}

function withBackUnless(path: string, back: string | undefined, fallback: string): string {
  return back === undefined || back === fallback ? path : withBack(path, back);
}

/** `path` inside workspace `id`: `/w/{id}/…` (`path` starts with "/"). */
export function inWorkspace(id: string, path: string): string {
  return `/w/${id}${path}`;
}

/**
 * Where a redirect after a task form goes: `path` plus what happened to which task, e.g.
 * `/?q=milk&notice=moved&task=7#task-7`. The page reads it back to highlight the card and say
 * where it went; nothing about it is stored. After a move or a save the fragment brings the card
 * into view (with or without JavaScript); after adding, the page puts the cursor back in Title.
 */
export function withNotice(path: string, kind: NoticeKind, taskId: number): string {
  const [pathname = '/', query = ''] = path.split('#', 1)[0]?.split('?', 2) ?? [];
  const params = new URLSearchParams(query);
  params.delete(ACTION_PARAM);
  params.delete(UNDO_PARAM);
  params.set(NOTICE_PARAM, kind);
  params.set(TASK_PARAM, String(taskId));
  const fragment = kind === 'added' ? '' : `#${cardId(taskId)}`;
  return `${pathname}?${params.toString()}${fragment}`;
}

/**
 * Where a delete lands: `path` with the trash entry its Undo restores, e.g. `/w/x/?undo=12`. The
 * page shows "Deleted “…”" with an Undo button while the entry can still be restored.
 */
export function withUndo(path: string, trashId: number): string {
  const [pathname = '/', query = ''] = path.split('#', 1)[0]?.split('?', 2) ?? [];
  const params = new URLSearchParams(query);
  for (const p of [ACTION_PARAM, NOTICE_PARAM, TASK_PARAM]) params.delete(p);
  params.set(UNDO_PARAM, String(trashId));
  return `${pathname}?${params.toString()}`;
}

/** Only the filter parameters of `url`'s query (for the Board/List switch and "Clear"). */
export function filterQuery(url: URL): string {
  const params = new URLSearchParams();
  for (const p of FILTER_PARAMS) {
    const v = url.searchParams.get(p);
    if (v) params.set(p, v);
  }
  return params.toString();
}

/**
 * The board with one column showing `shown` cards, landing on the first card not shown before
 * (`firstNewId`), every other parameter kept.
 */
export function showMoreHref(here: string, status: TaskStatus, shown: number, firstNewId?: number): string {
  const [pathname = '/', query = ''] = here.split('?', 2);
  const params = new URLSearchParams(query);
  for (const p of [NOTICE_PARAM, TASK_PARAM, UNDO_PARAM]) params.delete(p);
  params.set(status, String(shown));
  return `${withQuery(pathname, params.toString())}${firstNewId ? `#${cardId(firstNewId)}` : ''}`;
}

/** The list at page `page` (1-based), every other parameter kept. */
export function pageHref(here: string, page: number): string {
  const [pathname = '', query = ''] = here.split('?', 2);
  const params = new URLSearchParams(query);
  for (const p of [NOTICE_PARAM, TASK_PARAM, UNDO_PARAM]) params.delete(p);
  if (page <= 1) params.delete(PAGE_PARAM);
  else params.set(PAGE_PARAM, String(page));
  return withQuery(pathname, params.toString());
}

function withQuery(pathname: string, query: string): string {
  return query ? `${pathname}?${query}` : pathname;
}
