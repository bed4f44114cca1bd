/**
 * What the persistence engine reports to the app. Mapped to HTTP once, at the edge
 * (src/server/http/respond.ts): `gone` is a 404, every other one a 503 with Retry-After.
 */

export type PersistenceErrorCode =
  /** The cold-start restore has not finished (or failed): the database is not ready. */
  | 'not_ready'
  /** The store could not be read or written; the change was not saved. */
  | 'unavailable'
  /** Other instances kept winning the race to write: the change was not saved. */
  | 'contention'
  /** The stored database object is damaged; the message names its key and version. */
  | 'corrupt'
  /** The object does not exist (never created, or deleted): for a workspace, a 404. */
  | 'gone';

export class PersistenceError extends Error {
  readonly code: PersistenceErrorCode;
  /** Seconds a client should wait before trying again. */
  readonly retryAfterSeconds: number;
  /** The change may or may not have been saved (its upload's answer was lost): check before retrying. */
  readonly outcomeUnknown: boolean;
  constructor(
    code: PersistenceErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number; outcomeUnknown?: boolean },
  ) {
    super(message, options);
    this.name = 'PersistenceError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
    this.outcomeUnknown = options?.outcomeUnknown === true;
  }
}

/** True for a PersistenceError (compared by name, so copies of this module interoperate). */
export function isPersistenceError(err: unknown): err is PersistenceError {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'PersistenceError';
}
