export { createTaskRoute as POST, listTasksRoute as GET } from '../../../../../server/http/routes/tasks.ts';
