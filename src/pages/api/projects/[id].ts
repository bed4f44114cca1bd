import { apiRoute, readBody, userIdOf } from '../../../server/http/api.ts';
import { json } from '../../../server/http/respond.ts';
import { deleteProject, getProject, renameProject } from '../../../server/tasks/projects.ts';
import { parseId, parseProjectName } from '../../../server/tasks/validation.ts';

export const GET = apiRoute((ctx) => {
  const userId = userIdOf(ctx);
  const id = parseId(ctx.params.id, 'id');
  return json(ctx.locals.rt.engine.read((db) => getProject(db, userId, id)));
});

/** PATCH {name} → the renamed project. */
export const PATCH = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const id = parseId(ctx.params.id, 'id');
  const name = parseProjectName((await readBody(ctx)).name);
  return json(await ctx.locals.rt.engine.write((db) => renameProject(db, userId, id, name)));
});

/** DELETE → 204; the project's tasks go with it. The Inbox cannot be deleted (400). */
export const DELETE = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const id = parseId(ctx.params.id, 'id');
  await ctx.locals.rt.engine.write((db) => deleteProject(db, userId, id));
  return new Response(null, { status: 204 });
});
