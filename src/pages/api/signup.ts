import { signUp } from '../../server/auth/service.ts';
import { apiRoute, readBody } from '../../server/http/api.ts';
import { json } from '../../server/http/respond.ts';
import { clientOf, setSignInCookies } from '../../server/http/sign-in.ts';

/** POST {email, password} → 201 {user} and a session cookie; 409 when the email is taken; 429 when limited. */
export const POST = apiRoute(async (ctx) => {
  const signedIn = await signUp(ctx.locals.rt, clientOf(ctx), await readBody(ctx));
  setSignInCookies(ctx, signedIn);
  return json({ user: signedIn.user }, 201);
});
