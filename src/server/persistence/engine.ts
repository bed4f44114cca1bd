import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log.ts';
import { isPersistenceError, PersistenceError } from './errors.ts';
import { Mutex } from './mutex.ts';
import {
  type Connections,
  changeMarker,
  checkpoint,
  closeConnections,
  type Db,
  headerCheck,
  lockWorkingCopy,
  openConnections,
  pinReader,
  quickCheck,
  removeSidecars,
  unpinReader,
} from './sqlite-file.ts';
import { isStoreError, type ObjectInfo, type SnapshotStore } from './store.ts';
import { describeImage } from './wal-image.ts';

export interface EngineOptions {
  store: SnapshotStore;
  /** The local working copy; its directory is created if needed. */
  dbPath: string;
  /** 0: every request revalidates. Otherwise a check younger than this many ms is trusted. */
  maxStalenessMs: number;
  /** Rounds of (apply, upload) a write gets before it gives up on contention with a 503. */
  writeAttempts: number;
  /** Brings the schema up to date inside the cold-start transaction (uploaded only if it changed anything). */
  migrate: (db: Db) => void;
  /** Connection settings the app needs (e.g. `foreign_keys = ON`), applied to every connection. */
  configure?: (db: Db) => void;
  log: Logger;
  /** Monotonic clock in ms (default performance.now), replaceable in tests. */
  now?: () => number;
}

export type EngineState = 'starting' | 'ready' | 'failed' | 'closed';

export interface EngineStats {
  uploads: number;
  conflicts: number;
  revalidations: number;
  downloads: number;
  batches: number;
  batchedWrites: number;
}

interface Job {
  fn: (db: Db) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * The persistence engine: keeps the local SQLite copy in step with the store's object.
 *
 * - `start()` restores (or creates) the database; until it resolves the engine is not ready.
 * - `ensureFresh(arrivedAt)` revalidates with one conditional download unless a check that began
 *   after `arrivedAt - maxStalenessMs` already succeeded, so a request sees every write
 *   acknowledged (on any instance) before it arrived.
 * - `read(fn)` runs `fn` synchronously on the read-only connection: the last acknowledged state.
 * - `write(fn)` resolves only once the change is in the store. Writes queued while an upload is in
 *   flight are applied together in the next transaction (group commit, one upload). Each upload is
 *   conditional on the ETag this copy came from; on losing a race the batch's local commit is
 *   undone, the newer object is downloaded and every `fn` runs again — so `fn` must touch nothing
 *   but the db. The upload streams the committed image from disk (wal-image.ts) while the reader
 *   stays pinned to the acknowledged snapshot: no copy of the database is made in memory.
 */
export class Engine {
  private readonly opts: Required<Omit<EngineOptions, 'configure'>> & Pick<EngineOptions, 'configure'>;
  private readonly mutex = new Mutex();
  private conns: Connections | undefined;
  /** A failed upload could not be undone locally: the copy must be replaced before the next write. */
  private tainted = false;
  private current: ObjectInfo | undefined;
  /** Start time of the last successful revalidation (or acknowledged upload). */
  private validatedAt = Number.NEGATIVE_INFINITY;
  private pendingCheck: Promise<void> | undefined;
  private queue: Job[] = [];
  private draining = false;
  private _state: EngineState = 'starting';
  private unlock: (() => void) | undefined;
  private _error: Error | undefined;
  readonly stats: EngineStats = {
    uploads: 0,
    conflicts: 0,
    revalidations: 0,
    downloads: 0,
    batches: 0,
    batchedWrites: 0,
  };

  constructor(opts: EngineOptions) {
    this.opts = { now: () => performance.now(), ...opts };
  }

  get state(): EngineState {
    return this._state;
  }

  /** Why start-up failed, when `state` is 'failed'. */
  get error(): Error | undefined {
    return this._error;
  }

  /** The object the local copy corresponds to (ETag, version id, size). */
  get object(): ObjectInfo | undefined {
    return this.current;
  }

  /** The engine's clock, for callers that note when a request arrived (see ensureFresh). */
  now(): number {
    return this.opts.now();
  }

  private get log(): Logger {
    return this.opts.log;
  }

  /**
   * Cold start: download the current object (or create the first one with If-None-Match: *), check
   * it, migrate it and upload the migrated version. Transient store errors are retried with backoff;
   * a corrupt object rejects with a PersistenceError('corrupt') naming the key and version.
   */
  async start(): Promise<void> {
    const t0 = this.opts.now();
    try {
      mkdirSync(dirname(this.opts.dbPath), { recursive: true });
      this.unlock = lockWorkingCopy(this.opts.dbPath);
      await this.mutex.run(() => this.restoreLocked());
      this._state = 'ready';
      this.log.info('database ready', {
        store: this.opts.store.location,
        etag: this.current?.etag,
        versionId: this.current?.versionId,
        bytes: this.current?.size,
        ms: Math.round(this.opts.now() - t0),
      });
    } catch (err) {
      this._state = 'failed';
      this._error = err instanceof Error ? err : new Error(String(err));
      this.log.error('database restore failed', { store: this.opts.store.location, err });
      throw err;
    }
  }

  private async restoreLocked(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.restoreOnce();
        return;
      } catch (err) {
        // Only a store that is briefly out of reach, or a lost creation race, is worth another try;
        // a corrupt object, refused credentials or a failing migration stop start-up.
        if (this._state === 'closed' || !isTransient(err)) throw err;
        const delay = Math.min(2000, 50 * 2 ** attempt);
        this.log.warn('database restore: retrying', { attempt, delayMs: delay, err });
        await sleep(delay);
      }
    }
  }

  private async restoreOnce(): Promise<void> {
    const { store, dbPath } = this.opts;
    closeConnections(this.conns);
    this.conns = undefined;
    removeSidecars(dbPath);
    const res = await store.download(dbPath);
    this.stats.downloads++;
    if (res.status === 'ok') {
      const problem = quickCheck(dbPath);
      if (problem) throw this.corrupt(res, problem);
      this.current = {
        etag: res.etag,
        versionId: res.versionId,
        size: res.size,
        lastModified: res.lastModified,
      };
      this.openCopy();
    } else {
      // No database yet: start an empty one; the migration upload below creates the object with If-None-Match: *.
      rmSync(dbPath, { force: true });
      this.current = undefined;
      this.openCopy();
      this.log.info('no database object yet: creating one', { store: store.location });
    }
    this.validatedAt = this.opts.now();
    const outcome = await this.applyBatch([{ fn: this.opts.migrate, resolve: noop, reject: noop }], {
      mustUpload: this.current === undefined,
      failFast: true,
    });
    if (outcome === 'conflict') {
      throw new PersistenceError(
        'unavailable',
        'another instance changed the database during start-up; restoring again',
      );
    }
  }

  private corrupt(res: { etag: string; versionId: string | undefined }, problem: string): PersistenceError {
    const version = res.versionId ?? `ETag ${res.etag}`;
    return new PersistenceError(
      'corrupt',
      `${this.opts.store.location} (version ${version}) is not a sound SQLite database: ${problem}. ` +
        'Restore a good version with `npm run db -- versions` then `npm run db -- restore --version ID`.',
    );
  }

  /** Throws PersistenceError('not_ready') unless the cold start has finished. */
  assertReady(): void {
    if (this._state !== 'ready') {
      throw new PersistenceError(
        'not_ready',
        this._state === 'failed' ? `database unavailable: ${this._error?.message}` : 'database is starting',
      );
    }
  }

  /**
   * Makes sure the local copy is at least as new as the store was at `arrivedAt` (less the allowed
   * staleness). Concurrent callers share one conditional download.
   */
  async ensureFresh(arrivedAt: number = this.opts.now()): Promise<void> {
    this.assertReady();
    // Strictly after: a check that began in the same instant as the request might have missed a
    // write acknowledged in that instant.
    if (this.validatedAt > arrivedAt - this.opts.maxStalenessMs) return;
    // Join a check that has not yet begun (it will begin after we arrived), or queue one.
    if (!this.pendingCheck) {
      this.pendingCheck = this.mutex.run(async () => {
        this.pendingCheck = undefined;
        await this.revalidateLocked();
      });
    }
    await this.pendingCheck;
  }

  private async revalidateLocked(): Promise<void> {
    const started = this.opts.now();
    const next = `${this.opts.dbPath}.next`;
    const res = await this.opts.store
      .download(next, { ifNoneMatch: this.current?.etag })
      .catch((err: unknown) => {
        this.log.error('database revalidation failed', { store: this.opts.store.location, err });
        throw new PersistenceError('unavailable', `could not check ${this.opts.store.location} for changes`, {
          cause: err,
        });
      });
    this.stats.revalidations++;
    if (res.status === 'not-modified') {
      this.validatedAt = started;
      return;
    }
    if (res.status === 'absent') {
      this.log.error('database object is gone from the store', { store: this.opts.store.location });
      throw new PersistenceError(
        'unavailable',
        `${this.opts.store.location} has no current object (deleted?); restore a version with \`npm run db -- restore\``,
      );
    }
    this.stats.downloads++;
    const problem = headerCheck(next);
    if (problem) {
      rmSync(next, { force: true });
      const err = this.corrupt(res, problem);
      this.log.error('refusing a corrupt database version', { err });
      throw err;
    }
    this.swapIn(next);
    this.current = {
      etag: res.etag,
      versionId: res.versionId,
      size: res.size,
      lastModified: res.lastModified,
    };
    this.validatedAt = started;
    this.log.debug('database updated from store', {
      etag: res.etag,
      versionId: res.versionId,
      bytes: res.size,
    });
  }

  /** Runs `fn` on the read-only connection (the last acknowledged state). `fn` must not return a live iterator. */
  read<T>(fn: (db: Db) => T): T {
    this.assertReady();
    if (!this.conns) throw new PersistenceError('unavailable', 'database is being replaced; try again');
    return fn(this.conns.reader);
  }

  /**
   * Applies `fn` in a transaction and resolves with its result once the new database is in the store.
   * `fn` must be synchronous and deterministic in what it does to the db: it may run more than once.
   * If `fn` throws, its changes are rolled back and the promise rejects with that error.
   */
  write<T>(fn: (db: Db) => T): Promise<T> {
    try {
      this.assertReady();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 256);
        await this.mutex.run(() => this.writeBatchLocked(batch));
      }
    } finally {
      this.draining = false;
    }
  }

  private async writeBatchLocked(batch: Job[]): Promise<void> {
    this.stats.batches++;
    this.stats.batchedWrites += batch.length;
    try {
      for (let attempt = 1; attempt <= this.opts.writeAttempts; attempt++) {
        const outcome = await this.applyBatch(batch, { mustUpload: false });
        if (outcome === 'done') return;
        this.stats.conflicts++;
        this.log.info('write conflict: another instance wrote first; applying again', {
          attempt,
          jobs: batch.length,
        });
        await sleep(Math.random() * 10 * attempt);
        await this.revalidateLocked();
      }
      const err = new PersistenceError(
        'contention',
        `gave up after ${this.opts.writeAttempts} attempts: other instances kept writing first`,
        { retryAfterSeconds: 1 },
      );
      this.log.warn('write contention: answering 503', {
        attempts: this.opts.writeAttempts,
        jobs: batch.length,
      });
      for (const job of batch) job.reject(err);
    } catch (err) {
      for (const job of batch) job.reject(err);
    }
  }

  /**
   * One round: BEGIN, every job in its own savepoint, then — if anything changed — COMMIT locally
   * with the reader pinned to the acknowledged snapshot, stream the new image from disk to the store
   * conditionally, and let readers see it only once the store took it. A failed upload puts the
   * local copy back to the acknowledged state before anyone can read the change.
   */
  private async applyBatch(
    batch: Job[],
    o: { mustUpload: boolean; failFast?: boolean },
  ): Promise<'done' | 'conflict'> {
    // Downloads the store's object (the poisoned ETag guarantees it) in place of the tainted copy.
    if (this.tainted) await this.revalidateLocked();
    const conns = this.conns;
    if (!conns) throw new PersistenceError('unavailable', 'database is not open');
    const { writer: w, reader } = conns;
    this.foldWal(w);
    const before = changeMarker(w);
    const results: { ok: boolean; value: unknown }[] = [];
    w.exec('BEGIN IMMEDIATE');
    try {
      for (const job of batch) {
        w.exec('SAVEPOINT job');
        try {
          results.push({ ok: true, value: job.fn(w) });
          w.exec('RELEASE job');
        } catch (err) {
          if (o.failFast) throw err;
          w.exec('ROLLBACK TO job');
          w.exec('RELEASE job');
          results.push({ ok: false, value: err });
        }
      }
      if (!o.mustUpload && changeMarker(w) === before) {
        w.exec('COMMIT');
        settle(batch, results);
        return 'done';
      }
      // Readers keep the last acknowledged state until the store has the new one.
      pinReader(reader);
      w.exec('COMMIT');
    } catch (err) {
      if (w.inTransaction) w.exec('ROLLBACK');
      unpinReader(reader);
      throw err;
    }

    const started = this.opts.now();
    let info: ObjectInfo;
    try {
      const image = describeImage(this.opts.dbPath);
      info = await this.opts.store.put(
        image,
        this.current ? { ifMatch: this.current.etag } : { ifNoneMatch: '*' },
      );
    } catch (err) {
      this.revertLocked();
      if (isStoreError(err, 'precondition_failed')) return 'conflict';
      // A put whose answer was lost may have landed: the store may now be ahead of this copy, so the
      // next request must look (whatever the staleness allowance) and the client must not be told
      // that nothing changed.
      const outcomeUnknown = isStoreError(err) && err.outcomeUnknown;
      if (outcomeUnknown) this.validatedAt = Number.NEGATIVE_INFINITY;
      this.log.error('database upload failed: change rolled back', {
        store: this.opts.store.location,
        outcomeUnknown,
        err,
      });
      throw new PersistenceError(
        'unavailable',
        outcomeUnknown
          ? `could not confirm the save to ${this.opts.store.location}; the change may or may not have been saved`
          : `could not save to ${this.opts.store.location}; nothing was changed`,
        { cause: err, retryAfterSeconds: 2, outcomeUnknown },
      );
    }
    this.current = info;
    this.validatedAt = started;
    this.stats.uploads++;
    unpinReader(reader);
    settle(batch, results);
    return 'done';
  }

  /**
   * Before a write: folds what earlier writes left in the WAL into the main file, so that the main
   * file alone is the acknowledged state a failed upload goes back to, and the WAL starts over.
   */
  private foldWal(w: Db): void {
    if (checkpoint(w)) return;
    throw new PersistenceError(
      'unavailable',
      'the local database is busy (checkpoint incomplete); try again',
      {
        retryAfterSeconds: 1,
      },
    );
  }

  /**
   * After a failed upload: back to the last acknowledged state, which is the main file as it was
   * before the transaction (its commit went to the WAL only, and nothing checkpoints while an upload
   * is in flight). Readers were pinned to that state all along and never saw the change.
   */
  private revertLocked(): void {
    const next = `${this.opts.dbPath}.next`;
    try {
      copyFileSync(this.opts.dbPath, next);
      this.swapIn(next);
    } catch (err) {
      // The local copy may still hold the failed change (readers stay pinned before it, if the
      // connections are still open): the next request or write downloads the store's object.
      try {
        rmSync(next, { force: true, recursive: true });
      } catch {
        // Whatever is in the way is replaced or reported by the next download.
      }
      this.tainted = true;
      if (this.current) this.current = { ...this.current, etag: `${this.current.etag}#revert-failed` };
      this.validatedAt = Number.NEGATIVE_INFINITY;
      this.log.error('could not restore the local copy after a failed upload; will reload from the store', {
        err,
      });
    }
  }

  /** Opens the working copy, whose WAL and other sidecars were just removed. */
  private openCopy(): void {
    this.conns = openConnections(this.opts.dbPath, this.opts.configure);
    this.tainted = false;
  }

  /** Replaces the working copy with the complete database file `next` and reopens the connections. */
  private swapIn(next: string): void {
    // Nothing else touches the connections now: reads are synchronous and writes hold the mutex.
    closeConnections(this.conns);
    this.conns = undefined;
    renameSync(next, this.opts.dbPath);
    // The old copy's WAL must not be replayed onto the new file.
    removeSidecars(this.opts.dbPath);
    this.openCopy();
  }

  /** Closes the connections. Nothing is ever left to upload: a write resolves only after its upload. */
  close(): void {
    this._state = 'closed';
    closeConnections(this.conns);
    this.conns = undefined;
    this.unlock?.();
    this.unlock = undefined;
  }
}

function settle(batch: Job[], results: { ok: boolean; value: unknown }[]): void {
  batch.forEach((job, i) => {
    const r = results[i];
    if (r?.ok) job.resolve(r.value);
    else job.reject(r?.value);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function noop(): void {}

function isTransient(err: unknown): boolean {
  if (isStoreError(err)) return err.code === 'unavailable' || err.code === 'precondition_failed';
  return isPersistenceError(err) && err.code === 'unavailable';
}
