import { createHash } from 'node:crypto';
import type { APIContext } from 'astro';
import { AppError } from '../errors.ts';
import type { Replica } from '../persistence/replica.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { sentBody, userOf } from './api.ts';
import { json } from './respond.ts';

/**
 * Exactly-once writes. A request that carries an idempotency key — the API's `Idempotency-Key`
 * header, or a form's one-time token — is applied at most once; a repeat gets the first answer.
 *
 * 1. The key's record is written in the same transaction as the change it guards, in the object
 *    the change lives in: the change and its record are stored together or not at all, with no
 *    extra S3 request. A batch applied again after a lost race (412) or an uncertain upload
 *    finds the record in the newer object and gives the recorded answer instead of applying twice.
 * 2. The record holds a fingerprint of the request (method, path, body): the same key with another
 *    request is refused (422 `idempotency_key_reused`), never answered with someone else's answer.
 * 3. A repeat that arrives while the first is still running on this instance answers 409
 *    `idempotency_key_in_use` with Retry-After; on another instance it simply waits its turn on
 *    the object and replays.
 * 4. A request that failed (a 4xx, a 503) stored nothing: the same key may be sent again.
 * 5. Keys live CC_IDEMPOTENCY_TTL_HOURS (24 by default); each keyed write purges the expired ones
 *    of its object.
 */

/** An answer as it is recorded and given again. */
export interface Answer {
  status: number;
  /** JSON body (null for none, e.g. 204). */
  body: unknown;
  /** Location header (a created resource, or where a form lands). */
  location?: string;
}

interface KeyRecord {
  fingerprint: string;
  status: number;
  body: string | null;
  location: string | null;
}

/** Visible ASCII, 1–255 characters. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/** Keys this process is running a request for right now: `${object}|${scope}|${key}`. */
const inFlight = new Set<string>();

/** The request's Idempotency-Key, or undefined without one; AppError('invalid') for a malformed one. */
export function idempotencyKeyOf(request: Request): string | undefined {
  const raw = request.headers.get('idempotency-key');
  if (raw === null) return undefined;
  if (!KEY.test(raw)) {
    throw new AppError(
      'invalid',
      'Idempotency-Key must be 1 to 255 visible ASCII characters (letters, digits, punctuation; no spaces).',
      { field: 'Idempotency-Key' },
    );
  }
  return raw;
}

/** The fingerprint of a request: what a key must be used with again to get its answer back. */
export function fingerprintOf(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n${body}`).digest('base64url');
}

/**
 * Runs `produce` in one write of `replica` and answers with what it returns — once per key when
 * the request carries an Idempotency-Key (see the top of this file). `produce` may run more than
 * once (a lost race re-applies it), like any write job.
 */
export async function writeOnce(
  ctx: APIContext,
  replica: Replica,
  produce: (db: Db) => Answer,
): Promise<Response> {
  const guard = apiGuard(ctx);
  if (!guard) return respond(await replica.write(produce), false);
  const { answer, replayed } = await runOnce(replica, guard, produce);
  return respond(answer, replayed);
}

/** What an API request's Idempotency-Key guards, or undefined without one. */
function apiGuard(ctx: APIContext): KeyGuard | undefined {
  const key = idempotencyKeyOf(ctx.request);
  if (key === undefined) return undefined;
  return {
    scope: `${userOf(ctx).id}:api`,
    key,
    fingerprint: fingerprintOf(ctx.request.method, ctx.url.pathname, sentBody(ctx)),
    ttlHours: ctx.locals.rt.config.idempotencyTtlHours,
  };
}

/**
 * The recorded answer of the request's Idempotency-Key in `replica`'s copy as it is (the middleware
 * just revalidated it), as a response; undefined when there is none. For changes that must not
 * start work outside the object (creating a workspace's object) for a key that is already answered.
 */
export function replayFromCopy(ctx: APIContext, replica: Replica): Response | undefined {
  const guard = apiGuard(ctx);
  if (!guard) return undefined;
  const prior = replica.read((db) => recordedAnswer(db, guard));
  return prior ? respond(prior, true) : undefined;
}

/** The recorded answer for `key` in this object, if any, checked against the fingerprint. */
export function recordedAnswer(db: Db, guard: KeyGuard): Answer | undefined {
  const prior = db
    .prepare('SELECT fingerprint, status, body, location FROM idempotency_keys WHERE scope = ? AND key = ?')
    .get(guard.scope, guard.key) as KeyRecord | undefined;
  if (!prior) return undefined;
  if (prior.fingerprint !== guard.fingerprint) {
    throw new AppError(
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request; use a new key for a new request.',
      { field: 'Idempotency-Key' },
    );
  }
  return {
    status: prior.status,
    body: prior.body === null ? null : JSON.parse(prior.body),
    ...(prior.location === null ? {} : { location: prior.location }),
  };
}

export interface KeyGuard {
  /** Whose key it is and where it came from: `<user id>:api` or `<user id>:form`. */
  scope: string;
  key: string;
  fingerprint: string;
  ttlHours: number;
}

/**
 * The core of exactly-once: inside one write job, the recorded answer if the key has one, else
 * `produce`'s answer, recorded with the key in the same transaction.
 */
export async function runOnce(
  replica: Replica,
  guard: KeyGuard,
  produce: (db: Db) => Answer,
): Promise<{ answer: Answer; replayed: boolean }> {
  const flight = `${replica.store.location}|${guard.scope}|${guard.key}`;
  if (inFlight.has(flight)) {
    throw new AppError(
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is still being processed; send it again in a moment.',
      { retryAfterSeconds: 1 },
    );
  }
  inFlight.add(flight);
  try {
    return await replica.write((db) => {
      const prior = recordedAnswer(db, guard);
      if (prior) return { answer: prior, replayed: true };
      const now = new Date();
      db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(
        new Date(now.getTime() - guard.ttlHours * 3_600_000).toISOString(),
      );
      const answer = produce(db);
      db.prepare(
        'INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, location, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        guard.scope,
        guard.key,
        guard.fingerprint,
        answer.status,
        answer.body === null || answer.body === undefined ? null : JSON.stringify(answer.body),
        answer.location ?? null,
        now.toISOString(),
      );
      return { answer, replayed: false };
    });
  } finally {
    inFlight.delete(flight);
  }
}

function respond(answer: Answer, replayed: boolean): Response {
  const headers: Record<string, string> = {};
  if (answer.location) headers.Location = answer.location;
  if (replayed) headers['Idempotent-Replayed'] = 'true';
  if (answer.status === 204 || answer.body === null || answer.body === undefined) {
    return new Response(null, {
      status: answer.status,
      headers: { 'Cache-Control': 'no-store', ...headers },
    });
  }
  return json(answer.body, answer.status, headers);
}
