/** The signed-in account (see src/server/http/routes/account.ts). */
export { deleteAccountRoute as DELETE, getAccountRoute as GET } from '../../../server/http/routes/account.ts';
