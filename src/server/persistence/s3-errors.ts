import { type PutCondition, StoreError } from './store.ts';

/** The HTTP status of an SDK v3 service error, if the request got an answer. */
export function s3Status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** The S3 error code (`NoSuchKey`, `PreconditionFailed`…) or the Node error name/code. */
export function s3ErrorName(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: string; Code?: string; code?: string };
  return e.Code ?? e.name;
}

/** A short description for messages: `NoSuchBucket (404)`, `TimeoutError: …`, `ECONNREFUSED …`. */
export function describeS3Error(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { name?: string; code?: string; message?: string };
  const status = s3Status(err);
  const name = s3ErrorName(err) ?? 'Error';
  // The SDK says "UnknownError" for answers without a body (HEAD, 304, some 5xx).
  const message = e.message && e.message !== 'UnknownError' && e.message !== name ? e.message : '';
  if (status !== undefined) return `${name} (${status})${message ? `: ${message}` : ''}`;
  const code = e.code && !message.includes(e.code) ? `${e.code} ` : '';
  return `${code}${message || name}`.trim();
}

/**
 * Maps an SDK or network failure to a StoreError. Callers handle the codes that mean something
 * for their operation (304, 404 NoSuchKey, 412) first; this decides the rest:
 * 403 and a missing bucket → access_denied (naming the bucket, and `permission`, what the
 * operation needs, when the caller names it); 404 → not_found;
 * no answer, a timeout, 5xx and anything unexpected → unavailable.
 */
export function toStoreError(err: unknown, what: string, bucket: string, permission?: string): StoreError {
  if (err instanceof StoreError) return err;
  const status = s3Status(err);
  const name = s3ErrorName(err);
  const detail = describeS3Error(err);
  if (name === 'NoSuchBucket') {
    return new StoreError(
      'access_denied',
      `${what}: bucket "${bucket}" does not exist (check CC_S3_BUCKET, CC_S3_REGION and CC_S3_ENDPOINT)`,
      { cause: err },
    );
  }
  if (status === 403) {
    return new StoreError(
      'access_denied',
      `${what}: access denied to bucket "${bucket}" (${detail}); ${permission ? `the credentials need ${permission}` : 'check the credentials and the bucket policy'}`,
      { cause: err },
    );
  }
  if (status === 404) return new StoreError('not_found', `${what}: not found (${detail})`, { cause: err });
  if (status === undefined) {
    return new StoreError(
      'unavailable',
      `${what}: no answer from S3 (${detail}); is the endpoint reachable?`,
      {
        cause: err,
      },
    );
  }
  return new StoreError('unavailable', `${what}: S3 answered ${detail}`, { cause: err });
}

/**
 * The answers that mean a conditional put's condition did not hold: 412 (both), 404 NoSuchKey on
 * If-Match (AWS, when the key has no current object; Ceph says 412), and 409
 * ConditionalRequestConflict (AWS, a concurrent conditional write to the same key won).
 */
export function refusedPrecondition(
  err: unknown,
  condition: PutCondition,
  what: string,
): StoreError | undefined {
  const status = s3Status(err);
  const name = s3ErrorName(err);
  let why: string | undefined;
  if (status === 412 || name === 'PreconditionFailed') {
    why =
      'ifMatch' in condition
        ? `the object changed since ETag ${condition.ifMatch}`
        : 'an object already exists';
  } else if ('ifMatch' in condition && status === 404 && name === 'NoSuchKey') {
    why = 'no current object';
  } else if (status === 409 && name === 'ConditionalRequestConflict') {
    why = 'a concurrent conditional write won the race';
  }
  return why === undefined
    ? undefined
    : new StoreError('precondition_failed', `${what}: precondition failed (${why})`, { cause: err });
}
