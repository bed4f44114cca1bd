export { removeMemberRoute as DELETE } from '../../../../../server/http/routes/workspaces.ts';
