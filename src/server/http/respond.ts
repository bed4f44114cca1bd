import { AppError, HTTP_STATUS, isAppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isPersistenceError } from '../persistence/errors.ts';

/** The JSON error body every API error uses. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

/** An expected error's status, body and headers; null for anything else (a bug). */
export function describeError(
  err: unknown,
): { status: number; body: ErrorBody; headers: Record<string, string> } | null {
  if (isAppError(err)) {
    const headers: Record<string, string> = {};
    if (err.retryAfterSeconds) headers['Retry-After'] = String(err.retryAfterSeconds);
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.field) body.error.field = err.field;
    return { status: HTTP_STATUS[err.code], body, headers };
  }
  if (isPersistenceError(err)) {
    const message =
      err.code === 'not_ready'
        ? 'The app is starting; try again in a moment.'
        : err.code === 'contention'
          ? 'The app is busy saving other changes; nothing was saved. Try again in a moment.'
          : err.outcomeUnknown
            ? 'The database did not confirm your change: it may or may not have been saved. Reload to check before trying again.'
            : 'The database is unavailable right now; nothing was changed. Try again in a moment.';
    return {
      status: 503,
      body: { error: { code: err.code === 'contention' ? 'busy' : 'unavailable', message } },
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
    };
  }
  return null;
}

/** Maps an error to a JSON response once, at the edge: expected errors by code, the rest logged as 500. */
export function errorResponse(err: unknown, log: Logger, context: Record<string, unknown> = {}): Response {
  const known = describeError(err);
  if (known) {
    if (known.status >= 500) log.warn('request failed', { ...context, status: known.status, err });
    return json(known.body, known.status, known.headers);
  }
  log.error('unexpected error', { ...context, err });
  return json({ error: { code: 'internal', message: 'Something went wrong on our side.' } }, 500);
}

/**
 * Reads a JSON object body: 415 unless the Content-Type is application/json, 413 past `limit`
 * bytes (checked while streaming, not only by Content-Length), 400 for malformed JSON or a non-object.
 */
export async function readJsonObject(
  request: Request,
  limit: number,
): Promise<{ value: Record<string, unknown>; text: string }> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AppError(
      'unsupported_media_type',
      'Send the body as JSON with Content-Type: application/json.',
    );
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw tooLarge(limit);
  const text = await readLimited(request, limit);
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new AppError('invalid', 'The body is not valid JSON.', { field: 'body' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('invalid', 'The body must be a JSON object.', { field: 'body' });
  }
  return { value: value as Record<string, unknown>, text };
}

async function readLimited(request: Request, limit: number): Promise<string> {
  return (await readBodyBytes(request, limit)).toString('utf8');
}

/** The request's body as bytes: AppError('payload_too_large') past `limit`, checked while streaming. */
export async function readBodyBytes(request: Request, limit: number): Promise<Buffer> {
  if (Number(request.headers.get('content-length') ?? '0') > limit) throw tooLarge(limit);
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): AppError {
  return new AppError('payload_too_large', `The body is larger than ${limit} bytes.`);
}

/**
 * `res` with its body passed through unchanged, each chunk shown to `onChunk` as it goes, and
 * `onEnd` told once whether the body was sent in full (false: it failed or the client went away).
 * A response without a body ends at once.
 */
export function watchBody(
  res: Response,
  hooks: { onChunk?: (chunk: Uint8Array) => void; onEnd: (complete: boolean) => void },
): Response {
  if (!res.body) {
    hooks.onEnd(true);
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (err) {
        hooks.onEnd(false);
        controller.error(err);
        return;
      }
      if (read.done) {
        controller.close();
        hooks.onEnd(true);
      } else {
        hooks.onChunk?.(read.value);
        controller.enqueue(read.value);
      }
    },
    cancel(reason) {
      hooks.onEnd(false);
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
