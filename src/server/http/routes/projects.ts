import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  renameProject,
} from '../../tasks/projects.ts';
import { parseId, parseProjectName } from '../../tasks/validation.ts';
import { requireWorkspaceDb } from '../../workspaces/context.ts';
import { apiRoute, readBody, userIdOf } from '../api.ts';
import { writeOnce } from '../idempotency.ts';
import { json } from '../respond.ts';

/**
 * The project API, under `/api/projects` (personal workspace) and `/api/workspaces/{wid}/projects`.
 * Every write is exactly-once with an Idempotency-Key (idempotency.ts).
 */

/** GET → {projects}, the Inbox first. */
export const listProjectsRoute = apiRoute((ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  return json({ projects: ws.replica.read((db) => listProjects(db)) });
});

/** POST {name} → 201 with the project; 409 when the name is taken. */
export const createProjectRoute = apiRoute(async (ctx) => {
  const ws = requireWorkspaceDb(ctx.locals);
  const name = parseProjectName((await readBody(ctx)).name);
  const quota = ctx.locals.rt.config.quota;
  return writeOnce(ctx, ws.replica, (db) => {
    const project = createProject(db, name, { quota });
    return { status: 201, body: project, location: `${ctx.url.pathname.replace(/\/+$/, '')}/${project.id}` };
  });
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
  return writeOnce(ctx, ws.replica, (db) => ({ status: 200, body: renameProject(db, id, name) }));
});

/**
 * DELETE → 204; the project's tasks go with it, restorable for CC_UNDO_SECONDS through …/trash.
 * The Inbox cannot be deleted (400).
 */
export const deleteProjectRoute = apiRoute(async (ctx) => {
  const userId = userIdOf(ctx);
  const ws = requireWorkspaceDb(ctx.locals);
  const id = parseId(ctx.params.id, 'id');
  const undoSeconds = ctx.locals.rt.config.undoSeconds;
  return writeOnce(ctx, ws.replica, (db) => {
    deleteProject(db, userId, id, { undoSeconds });
    return { status: 204, body: null };
  });
});
