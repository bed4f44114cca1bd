/** The caller's personal workspace's projects (see src/server/http/routes/projects.ts). */
export {
  createProjectRoute as POST,
  listProjectsRoute as GET,
} from '../../../server/http/routes/projects.ts';
