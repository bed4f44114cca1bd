import type { AstroCookies } from 'astro';
import { DEVICE_COOKIE } from '../auth/device.ts';
import { type Client, deviceCookieOptions, type SignedIn, sessionCookieOptions } from '../auth/service.ts';
import { SESSION_COOKIE } from '../auth/session.ts';
import type { Runtime } from '../runtime.ts';

/** What the API routes and form actions that sign people in have in common. */
interface SignInContext {
  clientAddress: string;
  cookies: AstroCookies;
  url: URL;
  request: Request;
  locals: { rt: Runtime };
}

/**
 * The client behind a request: its address as pinned by the edge (server.ts turns X-Forwarded-For
 * into the one address CC_TRUST_PROXY trusts, and Astro's clientAddress reads it), and its
 * known-browser cookie.
 */
export function clientOf(ctx: SignInContext): Client {
  return { address: ctx.clientAddress, deviceToken: ctx.cookies.get(DEVICE_COOKIE)?.value };
}

/** Sets the session cookie and the known-browser cookie after a signup or login. */
export function setSignInCookies(ctx: SignInContext, signedIn: SignedIn): void {
  const { rt } = ctx.locals;
  ctx.cookies.set(SESSION_COOKIE, signedIn.token, sessionCookieOptions(rt, ctx.url, ctx.request));
  ctx.cookies.set(DEVICE_COOKIE, signedIn.deviceToken, deviceCookieOptions(rt, ctx.url, ctx.request));
}
