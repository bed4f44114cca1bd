import { AppError, isAppError } from '../errors.ts';
import { rateLimitKey } from '../http/client-address.ts';
import type { Runtime } from '../runtime.ts';
import { createWorkspaceObject, discardWorkspaceObject } from '../workspaces/service.ts';
import { DEVICE_TTL_SECONDS, signDeviceToken, verifyDeviceToken } from './device.ts';
import { hashPassword, verifyDummyPassword, verifyPassword } from './password.ts';
import { type RateLimiter, takeAttempt } from './rate-limit.ts';
import { hashSessionId, newSessionId, parseSessionToken, signSessionToken } from './session.ts';
import { createSession, deleteSession, deleteUserSessions, findSession } from './sessions.ts';
import {
  createUser,
  emailTaken,
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

/** The session behind a request's cookie, checked against the (fresh) directory. */
export interface CurrentSession {
  user: User;
  /** The stored form of the session id (to log this session out). */
  idHash: string;
  /** When the session ends however active it is (ISO instant). */
  expiresAt: string;
  /** A replacement cookie value when the current one is due for a refresh of its idle clock. */
  refreshed: string | undefined;
  /**
   * Until when (epoch ms) this same answer holds for this same cookie while the directory does not
   * change: the session's end, or the moment its cookie is due for a refresh.
   */
  stableUntil: number;
}

/**
 * Creates an account with its personal workspace (the workspace's object, with its Inbox, first;
 * then the directory rows and a session in one write) and signs it in. Limited per client address
 * (counted before the hash, which is what a signup costs); input that fails validation is not
 * counted. The password is hashed before any write, outside every lock.
 */
export async function signUp(rt: Runtime, client: Client, raw: Record<string, unknown>): Promise<SignedIn> {
  const email = parseNewEmail(raw.email);
  const password = parseNewPassword(raw.password);
  // A quick refusal from this instance's copy; the directory write checks again on the newest one.
  if (rt.engine.directory.read((db) => emailTaken(db, email))) throw emailConflict();
  const counted = [[rt.limits.signupPerIp, rateLimitKey(client.address)]] as const;
  const wait = takeAttempt(counted);
  if (wait > 0) {
    rt.log.warn('signup rate limited', { ip: client.address });
    throw rateLimited('Too many accounts were created from your network', wait);
  }
  const hash = await hashUnlessBusy(rt, counted, () => hashPassword(password));
  const workspaceId = await createWorkspaceObject(rt);
  const sid = newSessionId();
  try {
    const user = await rt.engine.directory.write((db) => {
      const u = createUser(db, email, hash, workspaceId);
      createSession(db, u.id, hashSessionId(sid), rt.config.sessionMaxAgeSeconds);
      return u;
    });
    rt.log.info('account created', { userId: user.id, workspace: workspaceId });
    const key = rt.sessionKey();
    return { user, token: signSessionToken(sid, key), deviceToken: signDeviceToken(user.id, key) };
  } catch (err) {
    discardWorkspaceObject(rt, workspaceId, err);
    throw err;
  }
}

/**
 * Checks credentials. Unknown email and wrong password get the same error after the same work. A
 * successful login records a session (one directory write).
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
  const found = rt.engine.directory.read(
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
  const { passwordHash: _, ...user } = found;
  const sid = newSessionId();
  await rt.engine.directory.write((db) => {
    // The account may have gone since it was read: then there is nothing to sign in to.
    if (!getUserById(db, user.id)) throw new AppError('unauthorized', 'Email or password is incorrect.');
    createSession(db, user.id, hashSessionId(sid), rt.config.sessionMaxAgeSeconds);
  });
  return { user, token: signSessionToken(sid, key), deviceToken: signDeviceToken(user.id, key) };
}

/** Ends one session (this browser), on every instance from their next request. */
export async function logOut(rt: Runtime, session: CurrentSession | null): Promise<void> {
  if (!session) return;
  await rt.engine.directory.write((db) => deleteSession(db, session.idHash));
}

/** Ends every session of the user (this one too, unless `keepCurrent`). Returns how many ended. */
export async function logOutEverywhere(
  rt: Runtime,
  session: CurrentSession,
  opts: { keepCurrent: boolean } = { keepCurrent: false },
): Promise<number> {
  const ended = await rt.engine.directory.write((db) =>
    deleteUserSessions(db, session.user.id, opts.keepCurrent ? session.idHash : undefined),
  );
  rt.log.info('sessions ended', { userId: session.user.id, ended });
  return ended;
}

/**
 * The session a cookie names, or null: the signature must hold, the cookie must have been used
 * within the idle limit, and the directory must still have the session and its account. Read from
 * the directory copy the request just revalidated, so a logout anywhere counts here at once.
 */
export function resolveSession(
  rt: Runtime,
  token: string | undefined,
  nowMs: number = Date.now(),
): CurrentSession | null {
  const parsed = parseSessionToken(token, rt.sessionKey());
  if (!parsed) return null;
  const nowSeconds = Math.floor(nowMs / 1000);
  const { sessionIdleSeconds } = rt.config;
  if (nowSeconds - parsed.issuedAt > sessionIdleSeconds || parsed.issuedAt > nowSeconds + 300) return null;
  const idHash = hashSessionId(parsed.sid);
  const found = rt.engine.directory.read((db) => {
    const row = findSession(db, idHash, new Date(nowMs));
    const user = row ? getUserById(db, row.userId) : null;
    return row && user ? { row, user } : null;
  });
  if (!found) return null;
  // Refresh the idle clock now and then (a new cookie, not a database write).
  const refreshEvery = Math.min(3600, Math.floor(sessionIdleSeconds / 8));
  const refreshed =
    nowSeconds - parsed.issuedAt >= refreshEvery
      ? signSessionToken(parsed.sid, rt.sessionKey(), nowMs)
      : undefined;
  const stableUntil = Math.min(Date.parse(found.row.expiresAt), (parsed.issuedAt + refreshEvery) * 1000);
  return { user: found.user, idHash, expiresAt: found.row.expiresAt, refreshed, stableUntil };
}

/**
 * The user a cookie names according to this instance's copy of the directory as it is, without
 * revalidating — a guess used only to start opening their workspace while the directory is being
 * revalidated; everything it allows is checked again on the fresh copy.
 */
export function guessSessionUser(rt: Runtime, token: string | undefined): User | null {
  const parsed = parseSessionToken(token, rt.sessionKey());
  if (!parsed) return null;
  const idHash = hashSessionId(parsed.sid);
  return rt.engine.directory.read((db) => {
    const row = findSession(db, idHash);
    return row ? getUserById(db, row.userId) : null;
  });
}

/**
 * Runs a hash through the per-instance cap; if it is refused (busy), the attempts counted for it
 * are given back, since it was never made.
 */
export async function hashUnlessBusy<T>(
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

/** AppError('rate_limited') saying what was limited and when to try again. */
export function rateLimited(what: string, waitSeconds: number, field?: string): AppError {
  const when = waitSeconds > 90 ? `${Math.ceil(waitSeconds / 60)} minutes` : `${waitSeconds} seconds`;
  return new AppError('rate_limited', `${what}. Try again in ${when}.`, {
    retryAfterSeconds: waitSeconds,
    ...(field === undefined ? {} : { field }),
  });
}

function emailConflict(): AppError {
  return new AppError('conflict', 'An account with this email already exists. Log in instead.', {
    field: 'email',
  });
}

/**
 * Session cookie attributes: HttpOnly, SameSite=Lax, Secure over HTTPS (or as CC_COOKIE_SECURE
 * says), kept by the browser until the session's absolute end (`maxAgeSeconds`, default the whole
 * CC_SESSION_MAX_AGE_SECONDS of a new session).
 */
export function sessionCookieOptions(rt: Runtime, url: URL, request: Request, maxAgeSeconds?: number) {
  const https = url.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
  const secure = rt.config.cookieSecure === 'always' || (rt.config.cookieSecure === 'auto' && https);
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure,
    path: '/',
    maxAge: maxAgeSeconds ?? rt.config.sessionMaxAgeSeconds,
  };
}

/** Known-browser cookie attributes: as the session's, but kept for a year and across logouts. */
export function deviceCookieOptions(rt: Runtime, url: URL, request: Request) {
  return { ...sessionCookieOptions(rt, url, request), maxAge: DEVICE_TTL_SECONDS };
}
