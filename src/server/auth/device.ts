import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Known-browser tokens (OWASP's "device cookies"): a browser that has signed in to an account gets
 * `d1.<userId>.<id>.<signature>`, an HMAC under the key that signs sessions, so no one can make one
 * without having known the password. At login such a browser is counted on its own, so an attacker
 * who spends an account's failed-login allowance does not lock its owner out (docs/security.md).
 */
export const DEVICE_COOKIE = 'cc_device';
export const DEVICE_TTL_SECONDS = 365 * 24 * 3600;

const TOKEN = /^d1\.([1-9]\d{0,14})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** A fresh token saying this browser signed in to `userId`. */
export function signDeviceToken(userId: number, key: string): string {
  const id = randomBytes(16).toString('base64url');
  return `d1.${userId}.${id}.${mac(`${userId}.${id}`, key)}`;
}

/**
 * The browser's id when `token` is a well-formed, authentic token for `userId`; null otherwise
 * (absent, malformed, forged, or another account's).
 */
export function verifyDeviceToken(token: string | undefined, userId: number, key: string): string | null {
  const m = token ? TOKEN.exec(token) : null;
  if (!m || Number(m[1]) !== userId) return null;
  const [, uid = '', id = '', signature = ''] = m;
  const expected = Buffer.from(mac(`${uid}.${id}`, key));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? id : null;
}

function mac(payload: string, key: string): string {
  return createHmac('sha256', key).update(`cc-device:${payload}`).digest('base64url');
}
