import {
  createLabel,
  deleteLabel,
  getLabel,
  listLabels,
  parseLabelInput,
  updateLabel,
} from '../../tasks/labels.ts';
import { parseId } from '../../tasks/validation.ts';
import { requireWorkspaceDb } from '../../workspaces/context.ts';
import { apiRoute, readBody } from '../api.ts';
import { writeOnce } from '../idempotency.ts';
import { json } from '../respond.ts';

/**
 * A workspace's labels, under `/api/labels` (personal workspace) and `/api/workspaces/{wid}/labels`.
 * Every write is exactly-once with an Idempotency-Key (idempotency.ts).
 */

/** GET → {labels} by name, each with how many tasks carry it. */
export const listLabelsRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  return json({ labels: ws.replica.read((db) => listLabels(db)) });
});

/** POST {name, color?} → 201 with the label; 409 when the name is taken. */
export const createLabelRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const input = parseLabelInput(await readBody(ctx), { partial: false });
  const quota = ctx.locals.rt.config.quota;
  return writeOnce(ctx, ws.replica, (db) => {
    const label = createLabel(db, input, { quota });
    return { status: 201, body: label, location: `${ctx.url.pathname.replace(/\/+$/, '')}/${label.id}` };
  });
});

export const getLabelRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  return json(ws.replica.read((db) => getLabel(db, id)));
});

/** PATCH {name?, color?} → the label. */
export const updateLabelRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  const patch = parseLabelInput(await readBody(ctx), { partial: true });
  return writeOnce(ctx, ws.replica, (db) => ({ status: 200, body: updateLabel(db, id, patch) }));
});

/** DELETE → 204; tasks that carried it no longer do. */
export const deleteLabelRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  return writeOnce(ctx, ws.replica, (db) => {
    deleteLabel(db, id);
    return { status: 204, body: null };
  });
});
