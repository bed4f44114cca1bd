import { AppError } from '../errors.ts';
import type { Runtime } from '../runtime.ts';
import { hashPassword, verifyDummyPassword, verifyPassword } from './password.ts';
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
}

/** Creates an account (and its Inbox) and signs it in. Hashing happens before the write, outside the lock. */
export async function signUp(rt: Runtime, raw: Record<string, unknown>): Promise<SignedIn> {
  const email = parseNewEmail(raw.email);
  const password = parseNewPassword(raw.password);
  const hash = await hashPassword(password);
  const user = await rt.engine.write((db) => createUser(db, email, hash));
  rt.log.info('account created', { userId: user.id });
  return { user, token: signSession(user.id, rt.sessionKey()) };
}

/**
 * Checks credentials, limited per client IP and per account. Unknown email and wrong password get
 * the same error after the same work. Reads only: a login writes nothing to the database.
 */
export async function logIn(rt: Runtime, ip: string, raw: Record<string, unknown>): Promise<SignedIn> {
  const email = parseEmail(raw.email);
  const password = parsePassword(raw.password);
  const { loginPerIp, loginPerAccount } = rt.limits;
  const wait = Math.max(loginPerIp.retryAfter(ip), loginPerAccount.retryAfter(email));
  if (wait > 0) {
    rt.log.warn('login rate limited', { ip });
    throw new AppError(
      'rate_limited',
      `Too many login attempts. Try again in ${wait > 90 ? `${Math.ceil(wait / 60)} minutes` : `${wait} seconds`}.`,
      { retryAfterSeconds: wait },
    );
  }
  // Accounts made before emails were stored in NFC are found by the address as typed.
  const asTyped = typeof raw.email === 'string' ? raw.email.trim().toLowerCase() : email;
  const found = rt.engine.read(
    (db) => getUserCredentials(db, email) ?? (asTyped === email ? null : getUserCredentials(db, asTyped)),
  );
  const ok = found ? await verifyPassword(password, found.passwordHash) : await verifyDummyPassword(password);
  if (!found || !ok) {
    loginPerIp.hit(ip);
    loginPerAccount.hit(email);
    throw new AppError('unauthorized', 'Email or password is incorrect.');
  }
  loginPerAccount.reset(email);
  return {
    user: { id: found.id, email: found.email, createdAt: found.createdAt },
    token: signSession(found.id, rt.sessionKey()),
  };
}

/** The signed-in user for a session cookie value, or null. */
export function getSessionUser(rt: Runtime, token: string | undefined): User | null {
  const claims = verifySession(token, rt.sessionKey());
  if (!claims) return null;
  return rt.engine.read((db) => getUserById(db, claims.uid));
}

/** Cookie attributes: HttpOnly, SameSite=Lax, Secure over HTTPS (or as CC_COOKIE_SECURE says). */
export function sessionCookieOptions(rt: Runtime, url: URL, request: Request) {
  const https = url.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
  const secure = rt.config.cookieSecure === 'always' || (rt.config.cookieSecure === 'auto' && https);
  return { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', maxAge: SESSION_TTL_SECONDS };
}

/** The client address for rate limiting: the address the nearest proxy saw, else the socket's. */
export function clientIp(request: Request, socketAddress: string | undefined): string {
  const forwarded = request.headers.get('x-forwarded-for');
  const last = forwarded?.split(',').pop()?.trim();
  return last || socketAddress || 'unknown';
}
