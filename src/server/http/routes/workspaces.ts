import { parseNewEmail } from '../../auth/users.ts';
import { AppError } from '../../errors.ts';
import { requireWorkspace } from '../../workspaces/context.ts';
import { createInvitation, listWorkspaceInvitations } from '../../workspaces/invitations.ts';
import {
  deleteWorkspaceObject,
  discardWorkspaceObject,
  insertSharedWorkspace,
  prepareSharedWorkspace,
} from '../../workspaces/service.ts';
import {
  deleteWorkspaceRow,
  listMembers,
  listMyWorkspaces,
  type MyWorkspace,
  parseWorkspaceName,
  removeMember,
  renameWorkspace,
} from '../../workspaces/workspaces.ts';
import { apiRoute, readBody, userOf } from '../api.ts';
import { replayFromCopy, writeOnce } from '../idempotency.ts';
import { json } from '../respond.ts';

/** `/api/workspaces…`: the workspaces a user belongs to, their members and invitations. */

function view(ws: MyWorkspace) {
  return { id: ws.id, name: ws.name, role: ws.role, personal: ws.personal };
}

/** GET /api/workspaces → {workspaces: [{id, name, role, personal}]}. */
export const listWorkspacesRoute = apiRoute((ctx) => {
  const user = userOf(ctx);
  const list = ctx.locals.rt.engine.directory.read((db) => listMyWorkspaces(db, user.id));
  return json({ workspaces: list.map(view) });
});

/** POST /api/workspaces {name} → 201 {workspace: {id, name, role}}. */
export const createWorkspaceRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const { rt } = ctx.locals;
  const name = parseWorkspaceName((await readBody(ctx)).name);
  // A repeat of an Idempotency-Key this instance already sees answered: no new object for it.
  const replay = replayFromCopy(ctx, rt.engine.directory);
  if (replay) return replay;
  const id = await prepareSharedWorkspace(rt, user);
  try {
    return await writeOnce(ctx, rt.engine.directory, (db) => {
      const ws = insertSharedWorkspace(db, rt, user, id, name);
      return { status: 201, body: { workspace: view(ws) }, location: `/api/workspaces/${ws.id}` };
    });
  } catch (err) {
    discardWorkspaceObject(rt, id, err);
    throw err;
  }
});

/** GET /api/workspaces/{wid} → {workspace}. */
export const getWorkspaceRoute = apiRoute((ctx) => json({ workspace: view(requireWorkspace(ctx.locals)) }));

/** PATCH /api/workspaces/{wid} {name} → {workspace} (owners). */
export const renameWorkspaceRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const ws = requireWorkspace(ctx.locals);
  const name = parseWorkspaceName((await readBody(ctx)).name);
  return writeOnce(ctx, ctx.locals.rt.engine.directory, (db) => ({
    status: 200,
    body: { workspace: view(renameWorkspace(db, ws.id, user.id, name)) },
  }));
});

/** DELETE /api/workspaces/{wid} → 204 (owners; not the personal workspace): its row, then its object. */
export const deleteWorkspaceRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const ws = requireWorkspace(ctx.locals);
  const res = await writeOnce(ctx, ctx.locals.rt.engine.directory, (db) => {
    deleteWorkspaceRow(db, ws.id, user.id);
    return { status: 204, body: null };
  });
  await deleteWorkspaceObject(ctx.locals.rt, ws.id);
  return res;
});

/** GET /api/workspaces/{wid}/members → {members: [{userId, email, role}]}. */
export const listMembersRoute = apiRoute((ctx) => {
  const ws = requireWorkspace(ctx.locals);
  return json({ members: ctx.locals.rt.engine.directory.read((db) => listMembers(db, ws.id)) });
});

/** DELETE /api/workspaces/{wid}/members/{userId} → 204: an owner removes someone, or anyone leaves. */
export const removeMemberRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const ws = requireWorkspace(ctx.locals);
  const raw = ctx.params.userId ?? '';
  if (!/^\d{1,15}$/.test(raw))
    throw new AppError('not_found', `User ${raw} is not a member of this workspace.`);
  const target = Number(raw);
  return writeOnce(ctx, ctx.locals.rt.engine.directory, (db) => {
    removeMember(db, ws.id, user.id, target);
    return { status: 204, body: null };
  });
});

/** POST /api/workspaces/{wid}/invitations {email} → 201 {invitation: {id, email, workspaceId}} (owners). */
export const createInvitationRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const ws = requireWorkspace(ctx.locals);
  const email = parseNewEmail((await readBody(ctx)).email);
  return writeOnce(ctx, ctx.locals.rt.engine.directory, (db) => {
    const inv = createInvitation(db, ws.id, user.id, email);
    return {
      status: 201,
      body: { invitation: { id: inv.id, email: inv.email, workspaceId: inv.workspaceId } },
    };
  });
});

/** GET /api/workspaces/{wid}/invitations → {invitations} pending for this workspace. */
export const listWorkspaceInvitationsRoute = apiRoute((ctx) => {
  const ws = requireWorkspace(ctx.locals);
  const list = ctx.locals.rt.engine.directory.read((db) => listWorkspaceInvitations(db, ws.id));
  return json({ invitations: list.map((i) => ({ id: i.id, email: i.email, workspaceId: i.workspaceId })) });
});
