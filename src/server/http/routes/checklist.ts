import {
  addChecklistItem,
  deleteChecklistItem,
  getChecklistItem,
  listChecklist,
  parseChecklistInput,
  updateChecklistItem,
} from '../../tasks/checklist.ts';
import { parseId } from '../../tasks/validation.ts';
import { requireWorkspaceDb } from '../../workspaces/context.ts';
import { apiRoute, readBody, userIdOf } from '../api.ts';
import { writeOnce } from '../idempotency.ts';
import { json } from '../respond.ts';

/**
 * A task's checklist, under `…/tasks/{id}/checklist` (personal workspace or `/api/workspaces/{wid}`).
 * Every write is exactly-once with an Idempotency-Key (idempotency.ts).
 */

/** GET → {items} in order. */
export const listChecklistRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const taskId = parseId(ctx.params.id, 'id');
  return json({ items: ws.replica.read((db) => listChecklist(db, taskId)) });
});

/** POST {text, done?, position?} → 201 with the item (at the end unless `position` says otherwise). */
export const addChecklistItemRoute = apiRoute(async (ctx) => {
  const actor = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const taskId = parseId(ctx.params.id, 'id');
  const input = parseChecklistInput(await readBody(ctx), { partial: false });
  const quota = ctx.locals.rt.config.quota;
  return writeOnce(ctx, ws.replica, (db) => {
    const item = addChecklistItem(db, taskId, input, { quota, actor });
    return { status: 201, body: item, location: `${ctx.url.pathname.replace(/\/+$/, '')}/${item.id}` };
  });
});

export const getChecklistItemRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const taskId = parseId(ctx.params.id, 'id');
  const itemId = parseId(ctx.params.itemId, 'itemId');
  return json(ws.replica.read((db) => getChecklistItem(db, taskId, itemId)));
});

/** PATCH {text?, done?, position?} → the item. */
export const updateChecklistItemRoute = apiRoute(async (ctx) => {
  const actor = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const taskId = parseId(ctx.params.id, 'id');
  const itemId = parseId(ctx.params.itemId, 'itemId');
  const patch = parseChecklistInput(await readBody(ctx), { partial: true });
  const quota = ctx.locals.rt.config.quota;
  return writeOnce(ctx, ws.replica, (db) => ({
    status: 200,
    body: updateChecklistItem(db, taskId, itemId, patch, { quota, actor }),
  }));
});

/** DELETE → 204. */
export const deleteChecklistItemRoute = apiRoute(async (ctx) => {
  const actor = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const taskId = parseId(ctx.params.id, 'id');
  const itemId = parseId(ctx.params.itemId, 'itemId');
  return writeOnce(ctx, ws.replica, (db) => {
    deleteChecklistItem(db, taskId, itemId, { actor });
    return { status: 204, body: null };
  });
});
