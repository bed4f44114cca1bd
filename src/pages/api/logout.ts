import { SESSION_COOKIE } from '../../server/auth/session.ts';
import { apiRoute, readBody } from '../../server/http/api.ts';

/** POST {} → 204 and the session cookie cleared. */
export const POST = apiRoute(async (ctx) => {
  await readBody(ctx);
  ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
  return new Response(null, { status: 204 });
});
