import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session cookies: `v2.<session id>.<issued at>.<signature>`.
 *
 * - The session id is 32 random bytes (base64url). The directory stores only its SHA-256, so a copy
 *   of the database (a backup, a `db pull`, read access to the bucket) holds nothing that logs in.
 * - The signature is an HMAC-SHA256 over the rest with the signing key, which never lives in the
 *   database (session-secret.ts): nobody can mint or alter a cookie without the key.
 * - `issued at` (seconds) bounds idle time without any write: each request checks it, and a cookie
 *   older than the refresh interval is re-issued with a new time (a Set-Cookie, not a database
 *   write). The absolute lifetime is the session row's `expires_at`; logging out deletes the row,
 *   which every instance sees on its next request (the directory is revalidated per request).
 *
 * Cookies of the earlier `v1.` format are not accepted: that release signed them with a key kept in
 * the database, so the change logs everybody out once.
 */
export const SESSION_COOKIE = 'cc_session';

const TOKEN = /^v2\.([A-Za-z0-9_-]{43})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface SessionToken {
  /** The session id (never stored: the directory keeps its hash). */
  sid: string;
  /** When the cookie was issued or last refreshed, in seconds since the epoch. */
  issuedAt: number;
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** What the directory stores for a session id. */
export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('hex');
}

export function signSessionToken(sid: string, key: string, nowMs: number = Date.now()): string {
  const body = `v2.${sid}.${Math.floor(nowMs / 1000)}`;
  return `${body}.${mac(body, key)}`;
}

/**
 * The id and issue time of a well-formed, correctly signed token, or null. Parsing is strict: the
 * exact shape, nothing before or after, one signature compared in constant time. Expiry is the
 * caller's (it needs the session row).
 */
export function parseSessionToken(token: string | undefined, key: string): SessionToken | null {
  if (!token || token.length > 200) return null;
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, sid, iat, signature] = m as unknown as [string, string, string, string];
  const expected = Buffer.from(mac(`v2.${sid}.${iat}`, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  return { sid, issuedAt: Number(iat) };
}

function mac(body: string, key: string): string {
  return createHmac('sha256', key).update(`cc-session:${body}`).digest('base64url');
}
