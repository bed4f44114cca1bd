import { sessionCookieOptions, signUp } from '../../server/auth/service.ts';
import { SESSION_COOKIE } from '../../server/auth/session.ts';
import { apiRoute, readBody } from '../../server/http/api.ts';
import { json } from '../../server/http/respond.ts';

/** POST {email, password} → 201 {user} and a session cookie; 409 when the email is taken. */
export const POST = apiRoute(async (ctx) => {
  const { user, token } = await signUp(ctx.locals.rt, await readBody(ctx));
  ctx.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(ctx.locals.rt, ctx.url, ctx.request));
  return json({ user }, 201);
});
