import { AppError } from '../errors.ts';
import type { Runtime } from '../runtime.ts';
import { createWorkspaceObject, discardWorkspaceObject } from '../workspaces/service.ts';
import { hashPassword, verifyDummyPassword, verifyPassword } from './password.ts';
import { hashSessionId, newSessionId, parseSessionToken, signSessionToken } from './session.ts';
import { createSession, deleteSession, deleteUserSessions, findSession } from './sessions.ts';
import {
  createUser,
  emailTaken,
  getUserById,
  getUserCredentials,
  parseEmail,
  parseNewPassword,
  parsePassword,
  type User,
} from './users.ts';

export interface SignedIn {
  user: User;
  /** The session cookie's value. */
  token: string;
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
}

/**
 * Creates an account with its personal workspace (the workspace's object, with its Inbox, first;
 * then the directory rows and a session in one write) and signs it in. The password is hashed
 * before any write, outside every lock.
 */
export async function signUp(rt: Runtime, raw: Record<string, unknown>): Promise<SignedIn> {
  const email = parseEmail(raw.email);
  const password = parseNewPassword(raw.password);
  // A quick refusal from this instance's copy; the directory write checks again on the newest one.
  if (rt.engine.directory.read((db) => emailTaken(db, email))) throw emailConflict();
  const hash = await hashPassword(password);
  const workspaceId = await createWorkspaceObject(rt);
  const sid = newSessionId();
  try {
    const user = await rt.engine.directory.write((db) => {
      const u = createUser(db, email, hash, workspaceId);
      createSession(db, u.id, hashSessionId(sid), rt.config.sessionMaxAgeSeconds);
      return u;
    });
    rt.log.info('account created', { userId: user.id, workspace: workspaceId });
    return { user, token: signSessionToken(sid, rt.sessionKey()) };
  } catch (err) {
    discardWorkspaceObject(rt, workspaceId, err);
    throw err;
  }
}

/**
 * Checks credentials, limited per client IP and per account. Unknown email and wrong password get
 * the same error after the same work. A successful login records a session (one directory write).
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
  const found = rt.engine.directory.read((db) => getUserCredentials(db, email));
  const ok = found ? await verifyPassword(password, found.passwordHash) : await verifyDummyPassword(password);
  if (!found || !ok) {
    loginPerIp.hit(ip);
    loginPerAccount.hit(email);
    throw new AppError('unauthorized', 'Email or password is incorrect.');
  }
  loginPerAccount.reset(email);
  const { passwordHash: _, ...user } = found;
  const sid = newSessionId();
  await rt.engine.directory.write((db) => {
    // The account may have gone since it was read: then there is nothing to sign in to.
    if (!getUserById(db, user.id)) throw new AppError('unauthorized', 'Email or password is incorrect.');
    createSession(db, user.id, hashSessionId(sid), rt.config.sessionMaxAgeSeconds);
  });
  return { user, token: signSessionToken(sid, rt.sessionKey()) };
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
  return { user: found.user, idHash, expiresAt: found.row.expiresAt, refreshed };
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

/** Cookie attributes: HttpOnly, SameSite=Lax, Secure over HTTPS (or as CC_COOKIE_SECURE says). */
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

/** The client address for rate limiting: the address the nearest proxy saw, else the socket's. */
export function clientIp(request: Request, socketAddress: string | undefined): string {
  const forwarded = request.headers.get('x-forwarded-for');
  const last = forwarded?.split(',').pop()?.trim();
  return last || socketAddress || 'unknown';
}

function emailConflict(): AppError {
  return new AppError('conflict', 'An account with this email already exists. Log in instead.', {
    field: 'email',
  });
}
