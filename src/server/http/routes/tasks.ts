import { createTask, deleteTask, getTask, listTasks, updateTask } from '../../tasks/tasks.ts';
import { parseId, parseTaskFilter, parseTaskInput } from '../../tasks/validation.ts';
import { requireWorkspaceDb } from '../../workspaces/context.ts';
import { apiRoute, readBody, userIdOf } from '../api.ts';
import { writeOnce } from '../idempotency.ts';
import { json } from '../respond.ts';
import { writeOptions } from '../write-options.ts';

/**
 * The task API, the same under `/api/tasks` (the caller's personal workspace) and
 * `/api/workspaces/{wid}/tasks` (any workspace they belong to): the middleware resolved which.
 * Every write is exactly-once with an Idempotency-Key (idempotency.ts).
 */

/** GET ?q=&status=&priority=&project=&label=&sort= → {tasks}. */
export const listTasksRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const filter = parseTaskFilter(ctx.url.searchParams);
  return json({ tasks: ws.replica.read((db) => listTasks(db, filter)) });
});

/** POST {title, description?, status?, priority?, dueDate?, projectId?, labels?, position?} → 201 with the task. */
export const createTaskRoute = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const input = parseTaskInput(await readBody(ctx), { partial: false });
  const opts = writeOptions(ctx.locals.rt);
  return writeOnce(ctx, ws.replica, (db) => {
    const task = createTask(db, userId, input, opts);
    return { status: 201, body: task, location: `${ctx.url.pathname.replace(/\/+$/, '')}/${task.id}` };
  });
});

/** GET → the task; an id of another workspace is 404 like a missing one. */
export const getTaskRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  return json(ws.replica.read((db) => getTask(db, id)));
});

/** PATCH with any task fields (`labels`: the whole set; `position`: see positions.ts) → the updated task. */
export const updateTaskRoute = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  const patch = parseTaskInput(await readBody(ctx), { partial: true });
  const opts = writeOptions(ctx.locals.rt);
  return writeOnce(ctx, ws.replica, (db) => ({
    status: 200,
    body: updateTask(db, userId, id, patch, opts),
  }));
});

/** DELETE → 204; restorable for CC_UNDO_SECONDS through …/trash (routes/trash.ts). */
export const deleteTaskRoute = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  const { undoSeconds } = writeOptions(ctx.locals.rt);
  return writeOnce(ctx, ws.replica, (db) => {
    deleteTask(db, userId, id, { undoSeconds });
    return { status: 204, body: null };
  });
});
