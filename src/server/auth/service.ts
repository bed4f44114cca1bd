import { AppError, isAppError } from '../errors.ts';
import { rateLimitKey } from '../http/client-address.ts';
import type { Runtime } from '../runtime.ts';
import { DEVICE_TTL_SECONDS, signDeviceToken, verifyDeviceToken } from './device.ts';
import { hashPassword, verifyDummyPassword, verifyPassword } from './password.ts';
import { type RateLimiter, takeAttempt } from './rate-limit.ts';
import { SESSION_TTL_SECONDS, signSession, verifySession } from './session.ts';
import {
  createUser,
  getUserById,
  getUserCredentials,
  parseEmail,
  parseNewEmail,
  parseNewPassword,
  parsePassword,
  type User,
} from './users.ts';

export interface SignedIn {
  user: User;
  /** The session cookie's value. */
  token: string;
  /** The known-browser cookie's value (auth/device.ts). */
  deviceToken: string;
}

/** Who is asking: the address the edge trusts (server.ts) and the browser's known-device cookie. */
export interface Client {
  address: string;
  deviceToken: string | undefined;
}

/**
 * Creates an account (and its Inbox) and signs it in. Limited per client address (counted before
 * the hash, which is what a signup costs); input that fails validation is not counted. Hashing
 * happens before the write, outside the lock.
 */
export async function signUp(rt: Runtime, client: Client, raw: Record<string, unknown>): Promise<SignedIn> {
  const email = parseNewEmail(raw.email);
  const password = parseNewPassword(raw.password);
  const counted = [[rt.limits.signupPerIp, rateLimitKey(client.address)]] as const;
  const wait = takeAttempt(counted);
  if (wait > 0) {
    rt.log.warn('signup rate limited', { ip: client.address });
    throw rateLimited('Too many accounts were created from your network', wait);
  }
  const hash = await hashUnlessBusy(rt, counted, () => hashPassword(password));
  const user = await rt.engine.write((db) => createUser(db, email, hash));
  rt.log.info('account created', { userId: user.id });
  const key = rt.sessionKey();
  return { user, token: signSession(user.id, key), deviceToken: signDeviceToken(user.id, key) };
}

/**
 * Checks credentials. Unknown email and wrong password get the same error after the same work.
 * Reads only: a login writes nothing to the database.
 *
 * Every attempt is counted before the hash, in the same synchronous step as the check, so
 * concurrent guesses cannot all slip under a limit. A browser that signed in to this account
 * before (a valid known-device cookie) is counted on its own; every other client is counted per
 * address and per account, so an attacker's guesses lock out strangers, never the owner's browser.
 */
export async function logIn(rt: Runtime, client: Client, raw: Record<string, unknown>): Promise<SignedIn> {
  const email = parseEmail(raw.email);
  const password = parsePassword(raw.password);
  // Accounts made before emails were stored in NFC are found by the address as typed.
  const asTyped = typeof raw.email === 'string' ? raw.email.trim().toLowerCase() : email;
  const found = rt.engine.read(
    (db) => getUserCredentials(db, email) ?? (asTyped === email ? null : getUserCredentials(db, asTyped)),
  );
  const key = rt.sessionKey();
  const device = found ? verifyDeviceToken(client.deviceToken, found.id, key) : null;
  const { loginPerIp, loginPerAccount, loginPerDevice } = rt.limits;
  const ipKey = rateLimitKey(client.address);
  const counted: (readonly [RateLimiter, string])[] = device
    ? [[loginPerDevice, device]]
    : [
        [loginPerIp, ipKey],
        [loginPerAccount, email],
      ];
  const wait = takeAttempt(counted);
  if (wait > 0) {
    rt.log.warn('login rate limited', { ip: client.address, knownBrowser: device !== null });
    throw rateLimited('Too many login attempts', wait);
  }
  const ok = await hashUnlessBusy(rt, counted, () =>
    found ? verifyPassword(password, found.passwordHash) : verifyDummyPassword(password),
  );
  if (!found || !ok) throw new AppError('unauthorized', 'Email or password is incorrect.');
  // Not a failure after all. A known browser starts afresh; the account's count of strangers'
  // failures stays, so the owner signing in does not hand an attacker a fresh allowance. Anyone
  // else who knew the password gets their address's attempt back and clears the account's count.
  if (device) {
    loginPerDevice.reset(device);
  } else {
    loginPerIp.release(ipKey);
    loginPerAccount.reset(email);
  }
  return {
    user: { id: found.id, email: found.email, createdAt: found.createdAt },
    token: signSession(found.id, key),
    deviceToken: signDeviceToken(found.id, key),
  };
}

/** Runs a hash through the per-instance cap; if it is refused (busy), the attempt was not made. */
async function hashUnlessBusy<T>(
  rt: Runtime,
  counted: readonly (readonly [RateLimiter, string])[],
  hash: () => Promise<T>,
): Promise<T> {
  try {
    return await rt.passwordHashes.run(hash);
  } catch (err) {
    if (isAppError(err, 'busy')) {
      for (const [limiter, k] of counted) limiter.release(k);
      rt.log.warn('password hashing saturated', rt.passwordHashes.load);
    }
    throw err;
  }
}

function rateLimited(what: string, waitSeconds: number): AppError {
  const when = waitSeconds > 90 ? `${Math.ceil(waitSeconds / 60)} minutes` : `${waitSeconds} seconds`;
  return new AppError('rate_limited', `${what}. Try again in ${when}.`, { retryAfterSeconds: waitSeconds });
}

/** The signed-in user for a session cookie value, or null. */
export function getSessionUser(rt: Runtime, token: string | undefined): User | null {
  const claims = verifySession(token, rt.sessionKey());
  if (!claims) return null;
  return rt.engine.read((db) => getUserById(db, claims.uid));
}

/** Session cookie attributes: HttpOnly, SameSite=Lax, Secure over HTTPS (or as CC_COOKIE_SECURE says). */
export function sessionCookieOptions(rt: Runtime, url: URL, request: Request) {
  const https = url.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
  const secure = rt.config.cookieSecure === 'always' || (rt.config.cookieSecure === 'auto' && https);
  return { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', maxAge: SESSION_TTL_SECONDS };
}

/** Known-browser cookie attributes: as the session's, but kept for a year and across logouts. */
export function deviceCookieOptions(rt: Runtime, url: URL, request: Request) {
  return { ...sessionCookieOptions(rt, url, request), maxAge: DEVICE_TTL_SECONDS };
}
