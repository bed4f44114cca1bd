/**
 * Every setting of the server, read from the environment in this one module and validated at start.
 * docs/settings.md documents each of them in one table; keep the two in step.
 *
 * Plain TypeScript with erasable syntax only, so Node runs it directly (the operator CLI and
 * the server entry) and Astro bundles the same file for the app.
 */

import { availableParallelism } from 'node:os';

export type Env = Record<string, string | undefined>;

/**
 * Who tells the server the client's address (see docs/security.md):
 * - `direct`: nothing in front; the TCP peer is the client (`npm start`, a laptop).
 * - `hops`: that many proxies in front, each appending the address it saw to X-Forwarded-For.
 * - `lambda-url`: a Lambda Function URL through the Lambda Web Adapter, which passes the Function
 *   URL's own record of the caller (`requestContext.http.sourceIp`) in `x-amzn-request-context`.
 */
export type ProxyTrust = { kind: 'direct' } | { kind: 'hops'; hops: number } | { kind: 'lambda-url' };

export type StoreConfig =
  | { kind: 'local'; dir: string; key: string; keepVersions: number }
  | {
      kind: 's3';
      bucket: string;
      key: string;
      region: string;
      endpoint: string | undefined;
      forcePathStyle: boolean;
      unquotedEtags: boolean;
      timeoutMs: number;
    };

export interface Config {
  port: number;
  host: string;
  /** Local directory of the working copies (a cache of the stored objects). */
  workDir: string;
  store: StoreConfig;
  /** Key prefix of the directory and workspace objects: the folder of `store.key` ('' or 'x/'). */
  prefix: string;
  /** Most workspace copies an instance keeps open; idle ones past it are closed. */
  maxOpenWorkspaces: number;
  /** Most bytes the working copies may take on local disk before idle workspace copies are closed. */
  maxLocalBytes: number;
  /** How old a revalidation may be before a request must revalidate again; 0 = every request. */
  maxStalenessMs: number;
  /** How many times a write is re-run after losing a race to another instance before answering 503. */
  writeAttempts: number;
  /** The session-cookie signing key, if the operator sets one (see session-secret.ts for the others). */
  sessionSecret: string | undefined;
  /** A session ends after this long without a request (seconds). */
  sessionIdleSeconds: number;
  /** A session ends this long after logging in, however active (seconds). */
  sessionMaxAgeSeconds: number;
  /** SSM parameter (name or ARN) holding the signing key when sessionSecret is unset (see auth/session-secret.ts). */
  sessionSecretParameter: string | undefined;
  /** File the signing key is created in once and read from, when neither of the above is set. */
  sessionKeyFile: string;
  /** Secure cookies: 'auto' sets Secure when the request came over HTTPS. */
  cookieSecure: 'auto' | 'always' | 'never';
  /** Largest JSON API request body, in bytes. */
  bodyLimitBytes: number;
  /** Largest file an import takes (POST /api/import, the account page), in bytes. */
  importLimitBytes: number;
  /** How long idempotency keys (and forms' one-time tokens) are kept, in hours (at least 24). */
  idempotencyTtlHours: number;
  /** Per-workspace limits (tasks, projects, bytes) and how many workspaces one account may own. */
  quota: { tasks: number; projects: number; bytes: number; workspacesPerAccount: number };
  /** Failed logins allowed per client address, per account (from unknown browsers) and per known browser. */
  loginRateLimit: { perIp: number; perAccount: number; windowMs: number };
  /** Accounts one client address may create per window. */
  signupRateLimit: { perIp: number; windowMs: number };
  /** Password hashes run at once, and how long a login or signup waits for a turn before 503. */
  passwordHashing: { concurrency: number; waitMs: number };
  /** Where the client's address comes from (rate limits key on it). */
  trustProxy: ProxyTrust;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Cards a board column or a list page shows before "Show more" / the next page. */
  pageSize: number;
  /** Seconds a deleted task or project can be undone; then it is purged for good. */
  undoSeconds: number;
  /** MiB of rendered pages kept in memory to answer again while nothing they show changed (0: none). */
  pageCacheMb: number;
  /** The IANA time zone whose calendar day counts as "today" for a browser that has not said its own. */
  defaultTimeZone: string;
  /** Where this process runs, for diagnostics only (/version): nothing else branches on it. */
  runtime: 'node' | 'container' | 'lambda';
}

/** A setting that is missing or malformed; the message names the variable and what it accepts. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

export const DEFAULT_KEY = 'code-canvas/app.sqlite';

/** Reads and validates every setting. Throws ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const bucket = r.string('CC_S3_BUCKET', '');
  const key = r.string('CC_DB_KEY', DEFAULT_KEY);
  if (key.startsWith('/') || key.endsWith('/') || key.includes('..')) {
    throw new ConfigError(
      'CC_DB_KEY',
      `"${key}" is not a usable object key (no leading or trailing "/", no "..")`,
    );
  }
  const endpoint = r.string('CC_S3_ENDPOINT', '') || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new ConfigError(
      'CC_S3_ENDPOINT',
      `"${endpoint}" is not an http(s) URL, e.g. http://127.0.0.1:9000`,
    );
  }
  const store: StoreConfig = bucket
    ? {
        kind: 's3',
        bucket,
        key,
        region: r.string('CC_S3_REGION', env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'),
        endpoint,
        forcePathStyle: r.bool('CC_S3_FORCE_PATH_STYLE', endpoint !== undefined),
        unquotedEtags: r.bool('CC_S3_UNQUOTED_ETAGS', false),
        timeoutMs: r.int('CC_S3_TIMEOUT_MS', 5000, 100, 600_000),
      }
    : {
        kind: 'local',
        dir: r.string('CC_LOCAL_STORE_DIR', './data/store'),
        key,
        keepVersions: r.int('CC_LOCAL_KEEP_VERSIONS', 100, 1, 1_000_000),
      };
  if (r.string('CC_DB_PATH', '') !== '') {
    throw new ConfigError(
      'CC_DB_PATH',
      'is no longer used: the working copies now live in a directory, CC_WORK_DIR (default ./data/work)',
    );
  }
  const sessionSecret = r.string('CC_SESSION_SECRET', '') || undefined;
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError(
      'CC_SESSION_SECRET',
      'must be at least 32 characters (e.g. `openssl rand -hex 32`)',
    );
  }
  const sessionSecretParameter = r.string('CC_SESSION_SECRET_PARAMETER', '') || undefined;
  if (
    sessionSecretParameter !== undefined &&
    !/^(\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*|arn:[\w-]+:ssm:[\w-]+:\d{12}:parameter\/\S+)$/.test(
      sessionSecretParameter,
    )
  ) {
    throw new ConfigError(
      'CC_SESSION_SECRET_PARAMETER',
      `"${sessionSecretParameter}" is not an SSM parameter name (letters, digits, "_", ".", "-", "/") or ARN`,
    );
  }
  const defaultTimeZone = r.string('CC_DEFAULT_TIME_ZONE', 'UTC');
  if (!isTimeZone(defaultTimeZone)) {
    throw new ConfigError(
      'CC_DEFAULT_TIME_ZONE',
      `"${defaultTimeZone}" is not an IANA time zone, e.g. UTC or Europe/Paris`,
    );
  }
  return {
    port: r.int('PORT', 4321, 0, 65535),
    host: r.string('HOST', '127.0.0.1'),
    workDir: r.string('CC_WORK_DIR', './data/work'),
    store,
    prefix: key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '',
    maxOpenWorkspaces: r.int('CC_MAX_OPEN_WORKSPACES', 64, 1, 100_000),
    maxLocalBytes: r.int('CC_WORK_DIR_MAX_MB', 384, 1, 1_000_000) * 1024 * 1024,
    maxStalenessMs: r.int('CC_MAX_STALENESS_MS', 0, 0, 86_400_000),
    writeAttempts: r.int('CC_WRITE_ATTEMPTS', 8, 1, 100),
    sessionSecret,
    sessionIdleSeconds: r.int('CC_SESSION_IDLE_SECONDS', 7 * 86_400, 60, 365 * 86_400),
    sessionMaxAgeSeconds: r.int('CC_SESSION_MAX_AGE_SECONDS', 30 * 86_400, 60, 365 * 86_400),
    sessionSecretParameter,
    sessionKeyFile: r.string('CC_SESSION_KEY_FILE', './data/session.key'),
    cookieSecure: r.oneOf('CC_COOKIE_SECURE', ['auto', 'always', 'never'] as const, 'auto'),
    bodyLimitBytes: r.int('CC_BODY_LIMIT_BYTES', 65_536, 1024, 10_485_760),
    // At most 5 MiB: a Lambda Function URL takes requests of up to 6 MB, form encoding included.
    importLimitBytes: r.int('CC_IMPORT_LIMIT_BYTES', 3_145_728, 1024, 5_242_880),
    idempotencyTtlHours: r.int('CC_IDEMPOTENCY_TTL_HOURS', 24, 24, 24 * 365),
    quota: {
      tasks: r.int('CC_QUOTA_TASKS', 5000, 1, 10_000_000),
      projects: r.int('CC_QUOTA_PROJECTS', 200, 1, 1_000_000),
      bytes: r.int('CC_QUOTA_WORKSPACE_MB', 20, 1, 100_000) * 1024 * 1024,
      workspacesPerAccount: r.int('CC_QUOTA_WORKSPACES', 20, 1, 100_000),
    },
    loginRateLimit: {
      perIp: r.int('CC_LOGIN_LIMIT_PER_IP', 20, 1, 1_000_000),
      perAccount: r.int('CC_LOGIN_LIMIT_PER_ACCOUNT', 5, 1, 1_000_000),
      windowMs: r.int('CC_LOGIN_LIMIT_WINDOW_MS', 900_000, 1000, 86_400_000),
    },
    signupRateLimit: {
      perIp: r.int('CC_SIGNUP_LIMIT_PER_IP', 10, 1, 1_000_000),
      windowMs: r.int('CC_SIGNUP_LIMIT_WINDOW_MS', 3_600_000, 1000, 86_400_000),
    },
    passwordHashing: {
      // Half the cores (at most 3): scrypt runs on libuv's 4 threads, which file I/O shares, and
      // the event loop needs a core to keep answering everyone else.
      concurrency: r.int('CC_PASSWORD_HASH_CONCURRENCY', defaultHashConcurrency(), 1, 64),
      waitMs: r.int('CC_PASSWORD_HASH_WAIT_MS', 1000, 0, 60_000),
    },
    trustProxy: parseTrustProxy(r.string('CC_TRUST_PROXY', '0')),
    logLevel: r.oneOf('CC_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    pageSize: r.int('CC_PAGE_SIZE', 30, 5, 500),
    undoSeconds: r.int('CC_UNDO_SECONDS', 60, 10, 86_400),
    pageCacheMb: r.int('CC_PAGE_CACHE_MB', 16, 0, 1024),
    defaultTimeZone,
    runtime: env.AWS_LAMBDA_FUNCTION_NAME
      ? 'lambda'
      : r.oneOf('CC_RUNTIME', ['node', 'container', 'lambda'] as const, 'node'),
  };
}

function defaultHashConcurrency(): number {
  return Math.min(3, Math.max(1, Math.floor(availableParallelism() / 2)));
}

function parseTrustProxy(v: string): ProxyTrust {
  if (v === 'lambda-url') return { kind: 'lambda-url' };
  if (/^\d{1,2}$/.test(v) && Number(v) <= 10) {
    const hops = Number(v);
    return hops === 0 ? { kind: 'direct' } : { kind: 'hops', hops };
  }
  throw new ConfigError(
    'CC_TRUST_PROXY',
    `"${v}" is not 0–10 (proxies in front that append to X-Forwarded-For) or lambda-url`,
  );
}

/** Whether `name` is a time zone this runtime knows (`UTC`, `Europe/Paris`, …). */
export function isTimeZone(name: string): boolean {
  if (name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

class Reader {
  private readonly env: Env;
  constructor(env: Env) {
    this.env = env;
  }

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v)) throw new ConfigError(name, `"${v}" is not a whole number`);
    const n = Number(v);
    if (n < min || n > max) throw new ConfigError(name, `${n} is outside ${min}–${max}`);
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new ConfigError(name, `"${v}" is not a boolean (true/false)`);
  }

  oneOf<const T extends readonly string[]>(name: string, options: T, fallback: T[number]): T[number] {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!options.includes(v)) throw new ConfigError(name, `"${v}" is not one of ${options.join(', ')}`);
    return v as T[number];
  }
}
