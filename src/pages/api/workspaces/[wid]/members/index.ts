export { listMembersRoute as GET } from '../../../../../server/http/routes/workspaces.ts';
