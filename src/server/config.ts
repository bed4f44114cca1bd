/**
 * Every setting of the server, read from the environment in this one module and validated at start.
 * docs/settings.md documents each of them in one table; keep the two in step.
 *
 * Plain TypeScript with erasable syntax only, so Node runs it directly (the operator CLI and
 * the server entry) and Astro bundles the same file for the app.
 */

export type Env = Record<string, string | undefined>;

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
  /** Local working copy of the database (a cache of the store's current object). */
  dbPath: string;
  store: StoreConfig;
  /** How old a revalidation may be before a request must revalidate again; 0 = every request. */
  maxStalenessMs: number;
  /** How many times a write is re-run after losing a race to another instance before answering 503. */
  writeAttempts: number;
  /** The session-cookie signing key, if the operator sets one; otherwise one is kept in the database. */
  sessionSecret: string | undefined;
  /** Secure cookies: 'auto' sets Secure when the request came over HTTPS. */
  cookieSecure: 'auto' | 'always' | 'never';
  /** Largest JSON API request body, in bytes. */
  bodyLimitBytes: number;
  loginRateLimit: { perIp: number; perAccount: number; windowMs: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Cards a board column or a list page shows before "Show more" / the next page. */
  pageSize: number;
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
  const sessionSecret = r.string('CC_SESSION_SECRET', '') || undefined;
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError(
      'CC_SESSION_SECRET',
      'must be at least 32 characters (e.g. `openssl rand -hex 32`)',
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
    dbPath: r.string('CC_DB_PATH', './data/app.sqlite'),
    store,
    maxStalenessMs: r.int('CC_MAX_STALENESS_MS', 0, 0, 86_400_000),
    writeAttempts: r.int('CC_WRITE_ATTEMPTS', 8, 1, 100),
    sessionSecret,
    cookieSecure: r.oneOf('CC_COOKIE_SECURE', ['auto', 'always', 'never'] as const, 'auto'),
    bodyLimitBytes: r.int('CC_BODY_LIMIT_BYTES', 65_536, 1024, 10_485_760),
    loginRateLimit: {
      perIp: r.int('CC_LOGIN_LIMIT_PER_IP', 20, 1, 1_000_000),
      perAccount: r.int('CC_LOGIN_LIMIT_PER_ACCOUNT', 5, 1, 1_000_000),
      windowMs: r.int('CC_LOGIN_LIMIT_WINDOW_MS', 900_000, 1000, 86_400_000),
    },
    logLevel: r.oneOf('CC_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    pageSize: r.int('CC_PAGE_SIZE', 30, 5, 500),
    defaultTimeZone,
    runtime: env.AWS_LAMBDA_FUNCTION_NAME
      ? 'lambda'
      : r.oneOf('CC_RUNTIME', ['node', 'container', 'lambda'] as const, 'node'),
  };
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
