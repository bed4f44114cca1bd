export { declineInvitationRoute as POST } from '../../../../server/http/routes/invitations.ts';
