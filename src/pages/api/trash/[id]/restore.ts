export { restoreTrashRoute as POST } from '../../../../server/http/routes/trash.ts';
