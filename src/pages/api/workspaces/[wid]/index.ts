export {
  deleteWorkspaceRoute as DELETE,
  getWorkspaceRoute as GET,
  renameWorkspaceRoute as PATCH,
} from '../../../../server/http/routes/workspaces.ts';
