/** Everything the signed-in account has, as JSON or CSV (see src/server/http/routes/transfer.ts). */
export { exportRoute as GET } from '../../server/http/routes/transfer.ts';
