export {
  createProjectRoute as POST,
  listProjectsRoute as GET,
} from '../../../../../server/http/routes/projects.ts';
