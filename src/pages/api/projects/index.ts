import { apiRoute, readBody, userIdOf } from '../../../server/http/api.ts';
import { json } from '../../../server/http/respond.ts';
import { createProject, listProjects } from '../../../server/tasks/projects.ts';
import { parseProjectName } from '../../../server/tasks/validation.ts';

/** GET → {projects}, the Inbox first. */
export const GET = apiRoute((ctx) => {
  const userId = userIdOf(ctx);
  return json({ projects: ctx.locals.rt.engine.read((db) => listProjects(db, userId)) });
});

/** POST {name} → 201 with the project; 409 when the name is taken. */
export const POST = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const name = parseProjectName((await readBody(ctx)).name);
  const project = await ctx.locals.rt.engine.write((db) => createProject(db, userId, name));
  return json(project, 201, { Location: `/api/projects/${project.id}` });
});
