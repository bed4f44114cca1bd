import { apiRoute, readBody, userIdOf } from '../../../server/http/api.ts';
import { json } from '../../../server/http/respond.ts';
import { deleteTask, getTask, updateTask } from '../../../server/tasks/tasks.ts';
import { parseId, parseTaskInput } from '../../../server/tasks/validation.ts';

/** GET → the task; another user's id is 404 like a missing one. */
export const GET = apiRoute((ctx) => {
  const userId = userIdOf(ctx);
  const id = parseId(ctx.params.id, 'id');
  return json(ctx.locals.rt.engine.read((db) => getTask(db, userId, id)));
});

/** PATCH with any task fields → the updated task. */
export const PATCH = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const id = parseId(ctx.params.id, 'id');
  const patch = parseTaskInput(await readBody(ctx), { partial: true });
  return json(await ctx.locals.rt.engine.write((db) => updateTask(db, userId, id, patch)));
});

/** DELETE → 204. */
export const DELETE = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const id = parseId(ctx.params.id, 'id');
  await ctx.locals.rt.engine.write((db) => deleteTask(db, userId, id));
  return new Response(null, { status: 204 });
});
