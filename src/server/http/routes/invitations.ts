import { acceptInvitation, declineInvitation, listMyInvitations } from '../../workspaces/invitations.ts';
import { apiRoute, userOf } from '../api.ts';
import { writeOnce } from '../idempotency.ts';
import { json } from '../respond.ts';

/** `/api/invitations…`: invitations addressed to the caller's email. */

/** GET /api/invitations → {invitations: [{id, workspaceId, workspaceName, invitedBy}]}. */
export const listMyInvitationsRoute = apiRoute((ctx) => {
  const user = userOf(ctx);
  const list = ctx.locals.rt.engine.directory.read((db) => listMyInvitations(db, user.email));
  return json({
    invitations: list.map((i) => ({
      id: i.id,
      workspaceId: i.workspaceId,
      workspaceName: i.workspaceName,
      invitedBy: i.invitedBy,
    })),
  });
});

/** POST /api/invitations/{id}/accept → 200 {workspace}. */
export const acceptInvitationRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const id = ctx.params.id ?? '';
  return writeOnce(ctx, ctx.locals.rt.engine.directory, (db) => {
    const ws = acceptInvitation(db, id, user);
    return {
      status: 200,
      body: { workspace: { id: ws.id, name: ws.name, role: ws.role, personal: ws.personal } },
    };
  });
});

/** POST /api/invitations/{id}/decline → 204. */
export const declineInvitationRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const id = ctx.params.id ?? '';
  return writeOnce(ctx, ctx.locals.rt.engine.directory, (db) => {
    declineInvitation(db, id, user);
    return { status: 204, body: null };
  });
});
