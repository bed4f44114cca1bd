import { parseNewEmail } from '../../auth/users.ts';
import { AppError } from '../../errors.ts';
import { requireWorkspace } from '../../workspaces/context.ts';
import { createInvitation, listWorkspaceInvitations } from '../../workspaces/invitations.ts';
import { createWorkspace, deleteWorkspace } from '../../workspaces/service.ts';
import {
  listMembers,
  listMyWorkspaces,
  type MyWorkspace,
  parseWorkspaceName,
  removeMember,
  renameWorkspace,
} from '../../workspaces/workspaces.ts';
import { apiRoute, readBody, userOf } from '../api.ts';
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
  const name = parseWorkspaceName((await readBody(ctx)).name);
  const ws = await createWorkspace(ctx.locals.rt, user, name);
  return json({ workspace: view(ws) }, 201, { Location: `/api/workspaces/${ws.id}` });
});

/** GET /api/workspaces/{wid} → {workspace}. */
export const getWorkspaceRoute = apiRoute((ctx) => json({ workspace: view(requireWorkspace(ctx.locals)) }));

/** PATCH /api/workspaces/{wid} {name} → {workspace} (owners). */
export const renameWorkspaceRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const ws = requireWorkspace(ctx.locals);
  const name = parseWorkspaceName((await readBody(ctx)).name);
  const renamed = await ctx.locals.rt.engine.directory.write((db) =>
    renameWorkspace(db, ws.id, user.id, name),
  );
  return json({ workspace: view(renamed) });
});

/** DELETE /api/workspaces/{wid} → 204 (owners; not the personal workspace). */
export const deleteWorkspaceRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const ws = requireWorkspace(ctx.locals);
  await deleteWorkspace(ctx.locals.rt, user, ws.id);
  return new Response(null, { status: 204 });
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
  await ctx.locals.rt.engine.directory.write((db) => removeMember(db, ws.id, user.id, target));
  return new Response(null, { status: 204 });
});

/** POST /api/workspaces/{wid}/invitations {email} → 201 {invitation: {id, email, workspaceId}} (owners). */
export const createInvitationRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const ws = requireWorkspace(ctx.locals);
  const email = parseNewEmail((await readBody(ctx)).email);
  const inv = await ctx.locals.rt.engine.directory.write((db) => createInvitation(db, ws.id, user.id, email));
  return json({ invitation: { id: inv.id, email: inv.email, workspaceId: inv.workspaceId } }, 201);
});

/** GET /api/workspaces/{wid}/invitations → {invitations} pending for this workspace. */
export const listWorkspaceInvitationsRoute = apiRoute((ctx) => {
  const ws = requireWorkspace(ctx.locals);
  const list = ctx.locals.rt.engine.directory.read((db) => listWorkspaceInvitations(db, ws.id));
  return json({ invitations: list.map((i) => ({ id: i.id, email: i.email, workspaceId: i.workspaceId })) });
});
