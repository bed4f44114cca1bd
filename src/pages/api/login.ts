import { clientIp, logIn, sessionCookieOptions } from '../../server/auth/service.ts';
import { SESSION_COOKIE } from '../../server/auth/session.ts';
import { apiRoute, readBody } from '../../server/http/api.ts';
import { json } from '../../server/http/respond.ts';

/** POST {email, password} → 200 {user} and a session cookie; 401 on bad credentials; 429 when limited. */
export const POST = apiRoute(async (ctx) => {
  const body = await readBody(ctx);
  const { user, token } = await logIn(ctx.locals.rt, clientIp(ctx.request, ctx.clientAddress), body);
  ctx.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(ctx.locals.rt, ctx.url, ctx.request));
  return json({ user });
});
