/** Changing the signed-in account's password (see src/server/http/routes/account.ts). */
export { changePasswordRoute as POST } from '../../../server/http/routes/account.ts';
