/**
 * Expected failures of the deploy tooling. The CLI prints a DeployError as one line (what failed, on
 * what, and the fix) with no stack trace; anything else is a bug and keeps its stack.
 */

export class DeployError extends Error {
  /** What the operator can do about it; printed after the message. */
  readonly fix: string | undefined;
  /** Context printed above the one-line error, e.g. the last lines of a failed docker build. */
  readonly details: string | undefined;
  constructor(message: string, options?: { fix?: string; cause?: unknown; details?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeployError';
    this.fix = options?.fix;
    this.details = options?.details;
  }
}

export function isDeployError(err: unknown): err is DeployError {
  return err instanceof DeployError;
}

/** The one line the CLI prints for an expected error. */
export function formatError(err: DeployError): string {
  return err.fix ? `${err.message} — ${err.fix}` : err.message;
}

interface AwsLikeError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The error's service code (SDK v3 puts it in `name`; some S3 errors only carry `Code`). */
export function errorCode(err: unknown): string {
  const e = (err ?? {}) as AwsLikeError;
  return e.name && e.name !== 'Error' ? e.name : (e.Code ?? e.code ?? '');
}

export function httpStatus(err: unknown): number | undefined {
  return (err as AwsLikeError | undefined)?.$metadata?.httpStatusCode;
}

/** True when the AWS error says the resource is absent (any of the services' spellings). */
export function isNotFound(err: unknown, ...codes: string[]): boolean {
  const code = errorCode(err);
  return codes.includes(code) || (codes.length === 0 && httpStatus(err) === 404);
}

const CREDENTIALS_FIX =
  'configure AWS credentials: `aws configure` or `aws sso login --profile NAME` then AWS_PROFILE=NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';

/**
 * Wraps an AWS SDK error raised while doing `action` on `resource` (e.g. "s3: create bucket",
 * "my-bucket") into a DeployError whose fix fits the failure. DeployErrors pass through.
 */
export function awsError(err: unknown, action: string, resource: string): DeployError {
  if (isDeployError(err)) return err;
  const code = errorCode(err);
  const message = ((err as AwsLikeError | undefined)?.message ?? String(err)).split('\n')[0] ?? '';
  const what = `${action} ${resource}: ${message}`;
  const make = (fix: string) => new DeployError(what, { fix, cause: err });
  if (code === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    if (/could not load credentials from any providers/i.test(message)) {
      return new DeployError('no AWS credentials found', { fix: CREDENTIALS_FIX, cause: err });
    }
    // A named profile or SSO session that exists but cannot be used: its own words say why.
    const expired = /expired|refresh/i.test(message);
    return new DeployError(`AWS credentials for ${resource}: ${message}`, {
      fix: expired ? 'refresh them (e.g. `aws sso login --profile NAME`) and re-run' : CREDENTIALS_FIX,
      cause: err,
    });
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'].includes(code)) {
    return make('the AWS credentials have expired: refresh them (e.g. `aws sso login`) and re-run');
  }
  if (
    [
      'InvalidClientTokenId',
      'UnrecognizedClientException',
      'SignatureDoesNotMatch',
      'InvalidAccessKeyId',
    ].includes(code)
  ) {
    return make(`AWS rejected the credentials: ${CREDENTIALS_FIX}`);
  }
  if (['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Forbidden'].includes(code)) {
    return make(
      'grant the operator the permissions in docs/deploy.md ("IAM permissions for the operator") and re-run',
    );
  }
  if (
    [
      'Throttling',
      'ThrottlingException',
      'TooManyRequestsException',
      'SlowDown',
      'RequestLimitExceeded',
    ].includes(code)
  ) {
    return make('AWS is throttling this account: wait a minute and re-run (the deploy resumes)');
  }
  if (code === 'CodeStorageExceededException') {
    return make('Lambda code storage is full: delete old function versions or request a quota increase');
  }
  if (
    ['LimitExceeded', 'LimitExceededException', 'ServiceQuotaExceededException', 'TooManyBuckets'].includes(
      code,
    )
  ) {
    return make(
      'an account quota is reached: remove unused resources or request an increase in Service Quotas',
    );
  }
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo/.test(message) || code === 'TimeoutError') {
    return make('AWS could not be reached: check the network and that the region name is right');
  }
  return make('re-run to resume; if it fails again, the message above names the cause');
}

/** Awaits one AWS call, turning its failure into a DeployError about `action` on `resource`. */
export async function call<T>(action: string, resource: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw awsError(err, action, resource);
  }
}

/** Like `call`, but resolves undefined when the error says the resource is absent (one of `codes`). */
export async function find<T>(
  action: string,
  resource: string,
  codes: string[],
  request: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await request();
  } catch (err) {
    if (isNotFound(err, ...codes)) return undefined;
    throw awsError(err, action, resource);
  }
}
