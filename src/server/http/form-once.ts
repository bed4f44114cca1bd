import type { ActionAPIContext } from 'astro:actions';
import { createHash, randomBytes } from 'node:crypto';
import { isAppError } from '../errors.ts';
import type { Replica } from '../persistence/replica.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { requireUser, SECRET_FIELDS } from './form.ts';
import { type KeyGuard, recordedAnswer, runOnce } from './idempotency.ts';

/**
 * One-time tokens for forms: every form that changes data carries a fresh random token (the
 * FormToken component); the action applies its change at most once per token, exactly like an
 * API Idempotency-Key (idempotency.ts: the token is recorded in the same transaction as the
 * change). A second submission of the same token — a double click, a page resubmitted after a
 * network hiccup, Back and submit again — lands where the first one did and changes nothing.
 * Works without JavaScript: it is a hidden field.
 *
 * The token is bound to what the form carried: the same token with other values (Back to a page
 * restored from the browser's cache, then another card moved through the page's one move form) is
 * a new change, not a repeat, so it applies.
 */
export const ONCE_FIELD = '_once';
const TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** A fresh token for one rendered form. */
export function newFormToken(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Runs an action's write once per the form's token. `job` makes the change and returns where to
 * land (it may run more than once, like any write job). Without a token (a form from before this
 * release, or a client that posts forms by hand) it is a plain write.
 */
export async function formWrite(
  ctx: ActionAPIContext,
  form: FormData,
  action: string,
  replica: Replica,
  job: (db: Db) => string,
): Promise<string> {
  const guard = formGuard(ctx, form, action);
  if (!guard) return replica.write(job);
  // A second click while the first submission is still being saved: wait for it, then land with it.
  for (let attempt = 0; ; attempt++) {
    try {
      const { answer } = await runOnce(replica, guard, (db) => ({
        status: 303,
        body: null,
        location: job(db),
      }));
      return answer.location ?? '/';
    } catch (err) {
      if (!isAppError(err, 'idempotency_key_in_use') || attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Where the form's token already landed, in `replica`'s copy as it is; undefined when it has not. */
export function formLandedAt(
  ctx: ActionAPIContext,
  form: FormData,
  action: string,
  replica: Replica,
): string | undefined {
  const guard = formGuard(ctx, form, action);
  if (!guard) return undefined;
  return replica.read((db) => recordedAnswer(db, guard))?.location;
}

/**
 * What the form's token guards (scope `<user id>:form`, fingerprint `form <action>`), or undefined
 * without a well-formed token. For actions whose change spans objects and so cannot use formWrite.
 */
export function formGuard(ctx: ActionAPIContext, form: FormData, action: string): KeyGuard | undefined {
  const token = form.get(ONCE_FIELD);
  if (typeof token !== 'string' || !TOKEN.test(token)) return undefined;
  return {
    scope: `${requireUser(ctx).id}:form`,
    key: `${token}.${valuesDigest(form)}`,
    fingerprint: `form ${action}`,
    ttlHours: ctx.locals.rt.config.idempotencyTtlHours,
  };
}

/**
 * A digest of the form's fields (but its token), in the order sent. Passwords stay out: the key is
 * stored in the directory, and a plain hash of a password there could be guessed offline.
 */
function valuesDigest(form: FormData): string {
  const hash = createHash('sha256');
  for (const [name, value] of form.entries()) {
    if (name === ONCE_FIELD || SECRET_FIELDS.has(name)) continue;
    hash.update(`${name.length}:${name}=`);
    hash.update(typeof value === 'string' ? `${value.length}:${value}` : `file:${value.size}`);
  }
  return hash.digest('base64url').slice(0, 22);
}
