export { acceptInvitationRoute as POST } from '../../../../server/http/routes/invitations.ts';
