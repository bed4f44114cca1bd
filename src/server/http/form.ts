import type { ActionAPIContext } from 'astro:actions';
import type { User } from '../auth/users.ts';
import { AppError } from '../errors.ts';
import { describeError } from './respond.ts';

/**
 * What every form action returns, so a page can redirect on success (POST → 303 → GET) and, on
 * failure, render the form again with the message next to the field and everything the user typed.
 */
export type FormResult =
  | { ok: true; redirect: string }
  | { ok: false; status: number; message: string; field?: string; values: Record<string, string> };

/** Form fields never echoed back into a page, nor digested into a stored key (form-once.ts). */
export const SECRET_FIELDS = new Set(['password', 'currentPassword', 'newPassword']);

/** Runs a form action body; expected errors become a FormResult, anything else propagates (500). */
export async function runForm(form: FormData, body: () => Promise<string>): Promise<FormResult> {
  try {
    return { ok: true, redirect: await body() };
  } catch (err) {
    const known = describeError(err);
    if (!known) throw err;
    const values: Record<string, string> = {};
    for (const [k, v] of form.entries()) {
      if (typeof v === 'string' && !SECRET_FIELDS.has(k)) values[k] = v;
    }
    return {
      ok: false,
      status: known.status,
      message: known.body.error.message,
      ...(known.body.error.field ? { field: known.body.error.field } : {}),
      values,
    };
  }
}

/** The form's fields as a plain object of strings (for the shared validators). */
export function formFields(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form.entries()) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The signed-in user, or AppError('unauthorized'). */
export function requireUser(ctx: ActionAPIContext): User {
  const user = ctx.locals.user;
  if (!user) throw new AppError('unauthorized', 'Your session has ended. Log in again.');
  return user;
}

/** Longest redirect target kept; longer ones are not paths this app makes. */
const MAX_TARGET_LENGTH = 2048;
/** White space, control and format characters (bidi, zero-width), and backslashes: none belong in a path we made. */
const UNSAFE_IN_TARGET = /[\s\p{Cc}\p{Cf}\\]/u;

/**
 * The one check for every redirect target a request names (`next`, `returnTo`, `back`): `value`
 * when it is a path on this site, else `fallback`. What comes back is always safe to send as a
 * Location header and to put in an href.
 *
 * A browser reads a target more loosely than it looks: it drops tabs and line breaks
 * (`/\t/evil.example` becomes `//evil.example`, another site), reads `\` as `/`, and resolves
 * `//host` to that host. So: exactly one leading `/`, no white space, control, format or backslash
 * character anywhere, and none of that once percent-escapes in the path are decoded either.
 * Characters past ASCII are percent-encoded: Node refuses a Location header with any past U+00FF.
 */
export function safeReturnTo(value: FormDataEntryValue | null | undefined, fallback: string): string {
  if (typeof value !== 'string' || value.length > MAX_TARGET_LENGTH) return fallback;
  if (!isLocalPath(value)) return fallback;
  const path = value.split(/[?#]/, 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return fallback;
  }
  if (!isLocalPath(decoded)) return fallback;
  try {
    return value.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  } catch {
    return fallback; // a lone surrogate cannot be encoded
  }
}

function isLocalPath(s: string): boolean {
  return s.startsWith('/') && s[1] !== '/' && !UNSAFE_IN_TARGET.test(s);
}
