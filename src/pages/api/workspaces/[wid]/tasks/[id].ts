export {
  deleteTaskRoute as DELETE,
  getTaskRoute as GET,
  updateTaskRoute as PATCH,
} from '../../../../../server/http/routes/tasks.ts';
