export { listMyInvitationsRoute as GET } from '../../../server/http/routes/invitations.ts';
