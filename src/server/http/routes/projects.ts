import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  renameProject,
} from '../../tasks/projects.ts';
import { parseId, parseProjectName } from '../../tasks/validation.ts';
import { requireWorkspaceDb } from '../../workspaces/context.ts';
import { apiRoute, readBody } from '../api.ts';
import { json } from '../respond.ts';

/** The project API, under `/api/projects` (personal workspace) and `/api/workspaces/{wid}/projects`. */

/** GET → {projects}, the Inbox first. */
export const listProjectsRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  return json({ projects: ws.replica.read((db) => listProjects(db)) });
});

/** POST {name} → 201 with the project; 409 when the name is taken. */
export const createProjectRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const name = parseProjectName((await readBody(ctx)).name);
  const project = await ws.replica.write((db) =>
    createProject(db, name, { quota: ctx.locals.rt.config.quota }),
  );
  return json(project, 201, { Location: `${ctx.url.pathname.replace(/\/+$/, '')}/${project.id}` });
});

export const getProjectRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  return json(ws.replica.read((db) => getProject(db, id)));
});

/** PATCH {name} → the renamed project. */
export const renameProjectRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  const name = parseProjectName((await readBody(ctx)).name);
  return json(await ws.replica.write((db) => renameProject(db, id, name)));
});

/** DELETE → 204; the project's tasks go with it. The Inbox cannot be deleted (400). */
export const deleteProjectRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  await ws.replica.write((db) => deleteProject(db, id));
  return new Response(null, { status: 204 });
});
