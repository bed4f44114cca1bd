export {
  createInvitationRoute as POST,
  listWorkspaceInvitationsRoute as GET,
} from '../../../../server/http/routes/workspaces.ts';
