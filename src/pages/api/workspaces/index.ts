export {
  createWorkspaceRoute as POST,
  listWorkspacesRoute as GET,
} from '../../../server/http/routes/workspaces.ts';
