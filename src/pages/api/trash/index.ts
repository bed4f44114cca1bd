export { listTrashRoute as GET } from '../../../server/http/routes/trash.ts';
