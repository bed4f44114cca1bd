import { createTask, deleteTask, getTask, listTasks, updateTask } from '../../tasks/tasks.ts';
import { parseId, parseTaskFilter, parseTaskInput } from '../../tasks/validation.ts';
import { requireWorkspaceDb } from '../../workspaces/context.ts';
import { apiRoute, readBody, userIdOf } from '../api.ts';
import { json } from '../respond.ts';

/**
 * The task API, the same under `/api/tasks` (the caller's personal workspace) and
 * `/api/workspaces/{wid}/tasks` (any workspace they belong to): the middleware resolved which.
 */

/** GET ?q=&status=&priority=&project=&sort= → {tasks}. */
export const listTasksRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const filter = parseTaskFilter(ctx.url.searchParams);
  return json({ tasks: ws.replica.read((db) => listTasks(db, filter)) });
});

/** POST {title, description?, status?, priority?, dueDate?, projectId?} → 201 with the task. */
export const createTaskRoute = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const input = parseTaskInput(await readBody(ctx), { partial: false });
  const task = await ws.replica.write((db) =>
    createTask(db, userId, input, { quota: ctx.locals.rt.config.quota }),
  );
  return json(task, 201, { Location: `${ctx.url.pathname.replace(/\/+$/, '')}/${task.id}` });
});

/** GET → the task; an id of another workspace is 404 like a missing one. */
export const getTaskRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  return json(ws.replica.read((db) => getTask(db, id)));
});

/** PATCH with any task fields → the updated task. */
export const updateTaskRoute = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  const patch = parseTaskInput(await readBody(ctx), { partial: true });
  return json(
    await ws.replica.write((db) => updateTask(db, userId, id, patch, { quota: ctx.locals.rt.config.quota })),
  );
});

/** DELETE → 204. */
export const deleteTaskRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  await ws.replica.write((db) => deleteTask(db, id));
  return new Response(null, { status: 204 });
});
