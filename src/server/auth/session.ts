import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed session cookies: `v1.<payload>.<signature>` where the payload is base64url JSON
 * `{ uid, iat, exp }` and the signature an HMAC-SHA256 with the signing key every instance shares.
 * Reading a session needs no database write (and no database read but the user's row).
 */
export const SESSION_COOKIE = 'cc_session';
export const SESSION_TTL_SECONDS = 30 * 24 * 3600;
/** base64url payload (bounded), then a base64url HMAC-SHA256 (43 characters). */
const TOKEN = /^v1\.([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]{43})$/;

export interface SessionClaims {
  uid: number;
  iat: number;
  exp: number;
}

export function signSession(userId: number, key: string, nowMs: number = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const payload = Buffer.from(JSON.stringify({ uid: userId, iat, exp: iat + SESSION_TTL_SECONDS })).toString(
    'base64url',
  );
  return `v1.${payload}.${mac(payload, key)}`;
}

/** The claims of a valid, unexpired token, or null (tampered, expired, malformed). */
export function verifySession(
  token: string | undefined,
  key: string,
  nowMs: number = Date.now(),
): SessionClaims | null {
  // Exactly `v1.<payload>.<signature>`: nothing before, between or after (an extra segment is a
  // token this code did not make).
  const m = token ? TOKEN.exec(token) : null;
  if (!m) return null;
  const [, payload = '', signature = ''] = m;
  const expected = Buffer.from(mac(payload, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionClaims;
    if (!Number.isSafeInteger(claims.uid) || typeof claims.exp !== 'number') return null;
    return claims.exp * 1000 > nowMs ? claims : null;
  } catch {
    return null;
  }
}

function mac(payload: string, key: string): string {
  return createHmac('sha256', key).update(`cc-session:${payload}`).digest('base64url');
}
