import { logIn } from '../../server/auth/service.ts';
import { apiRoute, readBody } from '../../server/http/api.ts';
import { json } from '../../server/http/respond.ts';
import { clientOf, setSignInCookies } from '../../server/http/sign-in.ts';

/** POST {email, password} → 200 {user} and a session cookie; 401 on bad credentials; 429 when limited. */
export const POST = apiRoute(async (ctx) => {
  const body = await readBody(ctx);
  const signedIn = await logIn(ctx.locals.rt, clientOf(ctx), body);
  setSignInCookies(ctx, signedIn);
  return json({ user: signedIn.user });
});
