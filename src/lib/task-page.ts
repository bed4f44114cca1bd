import { actions } from 'astro:actions';
import type { AstroGlobal } from 'astro';
import type { Replica } from '../server/persistence/replica.ts';
import { findTrash, type TrashEntry } from '../server/tasks/trash.ts';
import { getUserClock, type UserClock } from './dates.ts';
import { settleActions } from './form-state.ts';
import { setPageStatus } from './page-status.ts';
import type { TaskPage, TaskView } from './task-view.ts';
import { getReturnPath, type Paths, pathsOf, UNDO_PARAM } from './urls.ts';

/**
 * The board's and the list's shared start: a successful create, move or undo redirects (POST → 303 →
 * GET), otherwise `load` reads the page's data and the response status is set (the failed form's,
 * 400 for a bad filter, else 200). Returns the redirect Response when there is one.
 */
export function openTaskPage<V extends TaskView>(
  Astro: AstroGlobal,
  load: (ctx: { workspace: Replica; paths: Paths; clock: UserClock; pageSize: number; here: string }) => V,
): Response | TaskPage<V> {
  const workspace = Astro.locals.workspace?.replica;
  if (!Astro.locals.user || !workspace) return Astro.redirect('/login', 303);
  const settled = settleActions({
    create: Astro.getActionResult(actions.createTask),
    move: Astro.getActionResult(actions.moveTask),
    undo: Astro.getActionResult(actions.undoDelete),
  });
  if (settled.redirect) return Astro.redirect(settled.redirect, 303);
  const here = getReturnPath(Astro.url);
  const pageSize = Astro.locals.rt.config.pageSize;
  const clock = getUserClock(Astro);
  const view = load({ workspace, paths: pathsOf(Astro.locals), clock, pageSize, here });
  const status = settled.status ?? (view.filterError ? 400 : 200);
  setPageStatus(Astro.response, status);
  const undo = findUndo(workspace, Astro.url.searchParams, Astro.locals.rt.config.undoSeconds);
  // The same request renders the same page until a write or the user's next day: it may be kept
  // (http/page-cache.ts). Not with an Undo offer, which expires on its own.
  if (status === 200 && !Astro.url.searchParams.has(UNDO_PARAM)) {
    const { timeZone, today, utcOffset } = clock;
    Astro.locals.keep.clock = { timeZone, today, utcOffset };
  }
  return { view, failures: settled.failures, here, pageSize, undo };
}

/**
 * The trash entry `?undo=ID` names, while it can still be restored (after a delete the page
 * offers Undo; later, or for a malformed id, it shows nothing).
 */
export function findUndo(
  workspace: Replica,
  params: URLSearchParams,
  undoSeconds: number,
): TrashEntry | undefined {
  const raw = params.get(UNDO_PARAM) ?? '';
  if (!/^\d{1,15}$/.test(raw)) return undefined;
  return workspace.read((db) => findTrash(db, Number(raw), undoSeconds));
}
