/** An export or a CSV of tasks, into the signed-in account (see src/server/http/routes/transfer.ts). */
export { importRoute as POST } from '../../server/http/routes/transfer.ts';
