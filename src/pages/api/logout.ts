import { logOut, logOutEverywhere } from '../../server/auth/service.ts';
import { SESSION_COOKIE } from '../../server/auth/session.ts';
import { apiRoute, readBody } from '../../server/http/api.ts';

/**
 * POST {} → 204: ends this session on every instance and clears the cookie.
 * POST {"everywhere": true} → 204: ends every session of the account.
 */
export const POST = apiRoute(async (ctx) => {
  const body = await readBody(ctx);
  const { rt, session } = ctx.locals;
  if (session && body.everywhere === true) await logOutEverywhere(rt, session);
  else await logOut(rt, session);
  ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
  return new Response(null, { status: 204 });
});
