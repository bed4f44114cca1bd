/** The caller's personal workspace's tasks (see src/server/http/routes/tasks.ts). */
export { createTaskRoute as POST, listTasksRoute as GET } from '../../../server/http/routes/tasks.ts';
