export {
  deleteProjectRoute as DELETE,
  getProjectRoute as GET,
  renameProjectRoute as PATCH,
} from '../../../server/http/routes/projects.ts';
