import { HashQueue } from './auth/hash-queue.ts';
import { RateLimiter } from './auth/rate-limit.ts';
import { getSessionKey } from './auth/users.ts';
import { type Config, loadConfig } from './config.ts';
import { migrate } from './db/migrate.ts';
import { createLogger, type Logger } from './log.ts';
import { Engine } from './persistence/engine.ts';
import { openStore } from './persistence/open-store.ts';

/**
 * Everything a request needs, created once per process: settings, logger, the persistence engine
 * (started at once: the cold-start restore runs while the server answers /healthz with 503), the
 * in-memory login and signup limiters and the cap on concurrent password hashes.
 */
export interface Runtime {
  config: Config;
  log: Logger;
  engine: Engine;
  /** Resolves when the database is ready; rejects if start-up failed. */
  started: Promise<void>;
  limits: {
    loginPerIp: RateLimiter;
    /** Failed logins per account from browsers that have not signed in to it before. */
    loginPerAccount: RateLimiter;
    /** Failed logins per known browser (see auth/device.ts). */
    loginPerDevice: RateLimiter;
    signupPerIp: RateLimiter;
  };
  /** Every password hash (login, signup) runs through this cap. */
  passwordHashes: HashQueue;
  /** The key that signs session cookies: CC_SESSION_SECRET, else the one kept in the database. */
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
  const engine = new Engine({
    store: openStore(config.store),
    dbPath: config.dbPath,
    maxStalenessMs: config.maxStalenessMs,
    writeAttempts: config.writeAttempts,
    migrate: (db) => {
      const applied = migrate(db);
      if (applied.length > 0) log.info('migrations applied', { migrations: applied });
    },
    configure: (db) => db.pragma('foreign_keys = ON'),
    log,
  });
  const started = engine.start();
  // The failure is logged by the engine and reported by /healthz; don't crash on an unobserved rejection.
  started.catch(() => {});
  let cachedKey: string | undefined = config.sessionSecret;
  const { perIp, perAccount, windowMs } = config.loginRateLimit;
  const signup = config.signupRateLimit;
  return {
    config,
    log,
    engine,
    started,
    limits: {
      loginPerIp: new RateLimiter(perIp, windowMs),
      loginPerAccount: new RateLimiter(perAccount, windowMs),
      loginPerDevice: new RateLimiter(perAccount, windowMs),
      signupPerIp: new RateLimiter(signup.perIp, signup.windowMs),
    },
    passwordHashes: new HashQueue(config.passwordHashing.concurrency, config.passwordHashing.waitMs),
    sessionKey() {
      // Migration 1 writes the key once; it never changes for the life of a database.
      cachedKey ??= engine.read(getSessionKey);
      return cachedKey;
    },
  };
}
