import { join } from 'node:path';
import { HashQueue } from './auth/hash-queue.ts';
import { RateLimiter } from './auth/rate-limit.ts';
import { loadSessionSecret } from './auth/session-secret.ts';
import { type Config, loadConfig } from './config.ts';
import { DIRECTORY, objectKind, WORKSPACE } from './db/kinds.ts';
import { splitLegacy } from './db/split-legacy.ts';
import { createLogger, type Logger } from './log.ts';
import { Engine } from './persistence/engine.ts';
import { openBucket } from './persistence/open-store.ts';

/**
 * Everything a request needs, created once per process: settings, logger, the persistence engine
 * (started at once: the directory is restored while the server answers /healthz with 503), the
 * session signing key, the in-memory login and signup limiters and the cap on concurrent password
 * hashes.
 */
export interface Runtime {
  config: Config;
  log: Logger;
  engine: Engine;
  /** Resolves when the directory is restored and the session key loaded; rejects if start-up failed. */
  started: Promise<void>;
  /** 'ready' once `started` resolved; why it failed, if it did. */
  status(): { state: 'starting' | 'ready' | 'failed'; error?: string };
  limits: {
    loginPerIp: RateLimiter;
    /** Failed logins per account from browsers that have not signed in to it before. */
    loginPerAccount: RateLimiter;
    /** Failed logins per known browser (see auth/device.ts). */
    loginPerDevice: RateLimiter;
    signupPerIp: RateLimiter;
    /** Wrong current passwords per account when changing the password (as login's per account). */
    passwordChange: RateLimiter;
  };
  /** Every password hash (login, signup, password change) runs through this cap. */
  passwordHashes: HashQueue;
  /** The key that signs session cookies (throws before start-up finished; see auth/session-secret.ts). */
  sessionKey(): string;
}

const KEY = Symbol.for('code-canvas.runtime');

/** The process's runtime, created on first use (kept on globalThis so dev-mode reloads share it). */
export function getRuntime(): Runtime {
  const g = globalThis as { [KEY]?: Runtime };
  g[KEY] ??= createRuntime(loadConfig());
  return g[KEY];
}

export function createRuntime(config: Config): Runtime {
  const log = createLogger(config.logLevel);
  const onApplied = (kind: string, migrations: number[]) =>
    log.info('migrations applied', { kind, migrations });
  const bucket = openBucket(config.store);
  const engine = new Engine({
    bucket,
    prefix: config.prefix,
    workDir: config.workDir,
    maxOpenWorkspaces: config.maxOpenWorkspaces,
    maxLocalBytes: config.maxLocalBytes,
    maxStalenessMs: config.maxStalenessMs,
    writeAttempts: config.writeAttempts,
    directoryKind: objectKind(DIRECTORY, onApplied),
    workspaceKind: objectKind(WORKSPACE, onApplied),
    configure: (db) => db.pragma('foreign_keys = ON'),
    // No directory yet: this may be the first start after an upgrade from the single-object layout.
    seedDirectory: () =>
      splitLegacy({
        bucket,
        legacyKey: config.store.key,
        prefix: config.prefix,
        scratchDir: join(config.workDir, 'split'),
        log,
      }),
    log,
  });
  let key: string | undefined;
  let state: 'starting' | 'ready' | 'failed' = 'starting';
  let error: string | undefined;
  const started = Promise.all([
    loadSessionSecret(config).then((k) => {
      key = k;
    }),
    engine.start(),
  ]).then(
    () => {
      state = 'ready';
    },
    (err: unknown) => {
      state = 'failed';
      error = err instanceof Error ? err.message : String(err);
      log.error('start-up failed', { err });
      throw err;
    },
  );
  // The failure is logged and reported by /healthz; don't crash on an unobserved rejection.
  started.catch(() => {});
  const { perIp, perAccount, windowMs } = config.loginRateLimit;
  const signup = config.signupRateLimit;
  return {
    config,
    log,
    engine,
    started,
    status: () => (error === undefined ? { state } : { state, error }),
    limits: {
      loginPerIp: new RateLimiter(perIp, windowMs),
      loginPerAccount: new RateLimiter(perAccount, windowMs),
      loginPerDevice: new RateLimiter(perAccount, windowMs),
      signupPerIp: new RateLimiter(signup.perIp, signup.windowMs),
      passwordChange: new RateLimiter(perAccount, windowMs),
    },
    passwordHashes: new HashQueue(config.passwordHashing.concurrency, config.passwordHashing.waitMs),
    sessionKey() {
      if (key === undefined) throw new Error('the session key is not loaded yet');
      return key;
    },
  };
}
