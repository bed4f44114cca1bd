/**
 * The app's small set of expected errors. Domain code throws them; the edge (API routes, actions,
 * pages) maps each code to an HTTP status once (src/server/http/respond.ts). Anything else is a bug:
 * logged with its stack and answered 500.
 */
export type AppErrorCode =
  | 'invalid' // 400: the input is wrong; `field` says which
  | 'unauthorized' // 401: not signed in, or wrong credentials
  | 'forbidden' // 403: a member asking for what only an owner may do
  | 'not_found' // 404: absent, or belongs to someone else (never 403 for what one may not see)
  | 'conflict' // 409: e.g. the email is taken
  | 'quota_exceeded' // 409: a workspace or account limit; deleting something makes room
  | 'idempotency_key_in_use' // 409, with retryAfterSeconds: the first request with this key is still running
  | 'idempotency_key_reused' // 422: the key was used with another request
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'rate_limited' // 429, with retryAfterSeconds: this client sent too many
  | 'busy'; // 503, with retryAfterSeconds: the server has no capacity for it right now

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly field: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    code: AppErrorCode,
    message: string,
    opts: { field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = opts.field;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export function isAppError(err: unknown, code?: AppErrorCode): err is AppError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'AppError' &&
    (code === undefined || (err as { code?: unknown }).code === code)
  );
}

export const HTTP_STATUS: Record<AppErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  quota_exceeded: 409,
  idempotency_key_in_use: 409,
  idempotency_key_reused: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  busy: 503,
};
