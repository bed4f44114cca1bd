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

/** Form fields never echoed back into a page. */
const SECRET_FIELDS = new Set(['password']);

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

/** A same-site path to go back to (from a hidden `returnTo`/`next` field), else `fallback`. */
export function safeReturnTo(value: FormDataEntryValue | null | undefined, fallback: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return fallback;
  }
  return value;
}
