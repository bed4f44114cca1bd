import { rmSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { isPersistenceError, PersistenceError } from './errors.ts';
import { Mutex } from './mutex.ts';
import { type Db, quickCheck } from './sqlite-file.ts';
import { isStoreError, type ObjectInfo, type SnapshotStore } from './store.ts';
import { diskFull, type JobResult, type WorkingCopy } from './working-copy.ts';

/** What kind of database an object holds: how to bring its schema up to date, and what to call it. */
export interface ObjectKind {
  /** `directory` or `workspace`: used in logs and errors. */
  name: string;
  /** Brings the schema up to date inside the open transaction (uploaded only if it changed anything). */
  migrate: (db: Db) => void;
}

export interface ReplicaOptions {
  store: SnapshotStore;
  copy: WorkingCopy;
  kind: ObjectKind;
  /** 0: every request revalidates. Otherwise a check younger than this many ms is trusted. */
  maxStalenessMs: number;
  /** Rounds of (apply, upload) a write gets before it gives up on contention with a 503. */
  writeAttempts: number;
  log: Logger;
  /** Monotonic clock in ms (default performance.now), replaceable in tests. */
  now?: () => number;
}

/** How `open()` treats a key with no current object. */
export type IfAbsent =
  /** Fail with PersistenceError('gone'): the object was never created, or was deleted. */
  | { ifAbsent: 'fail' }
  /**
   * Create it with If-None-Match: * — from the file `seed()` prepares when it returns one (renamed
   * into place), else as an empty database; `init` then runs in the creating transaction, after the
   * migrations. Losing the creation race to another instance means downloading theirs.
   */
  | { ifAbsent: 'create'; seed?: () => Promise<string | null>; init?: (db: Db) => void };

export type ReplicaState = 'starting' | 'ready' | 'failed' | 'closed';

export interface ReplicaStats {
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
 * Keeps one object's working copy in step with the store: the replication protocol.
 *
 * 1. A write is acknowledged (its promise resolves) only once the store has the new object: the
 *    batch is committed locally with readers pinned, streamed to the store with If-Match on the ETag
 *    the copy came from (If-None-Match: * for a new object), and readers move on only after the
 *    store took it (working-copy.ts). Writes queued meanwhile share the next batch (group commit).
 * 2. A refused upload (412: another instance wrote first) is undone locally, the newer object is
 *    downloaded and every job of the batch runs again — so a job must touch nothing but the db — up
 *    to `writeAttempts` rounds, then 503 'contention'. Nothing is ever overwritten.
 * 3. `ensureFresh(arrivedAt)` makes the copy at least as new as the store was when the request
 *    arrived (less `maxStalenessMs`): one conditional GET shared by concurrent callers.
 * 4. A downloaded object is checked (`PRAGMA quick_check`) before it is swapped in. A damaged one
 *    is never served: the replica keeps the last good copy for reads, refuses writes with 503, and
 *    reports itself `degraded` until the store holds a sound object again.
 * 5. If the local copy cannot be reverted after a failed upload (a full disk), reads go on from the
 *    acknowledged snapshot and the next write downloads the object again first (or answers 503).
 *
 * Fields below are guarded by `#mutex` (held by every download, swap and batch), except
 * `#pendingCheck` and `#queue`/`#draining`, which only the event loop touches between awaits.
 */
export class Replica {
  readonly store: SnapshotStore;
  readonly copy: WorkingCopy;
  readonly kind: ObjectKind;
  readonly stats: ReplicaStats = {
    uploads: 0,
    conflicts: 0,
    revalidations: 0,
    downloads: 0,
    batches: 0,
    batchedWrites: 0,
  };
  readonly #opts: ReplicaOptions & { now: () => number };
  readonly #mutex = new Mutex();

  // Guarded by #mutex.
  /** The object the working copy holds: the acknowledged state. */
  #current: ObjectInfo | undefined;
  /** The store's ETag as last seen, for If-None-Match: differs from #current's while degraded. */
  #seenEtag: string | undefined;
  /** Start time of the last successful revalidation (or acknowledged upload). */
  #validatedAt = Number.NEGATIVE_INFINITY;
  /** Why the stored object cannot be used (damaged), while the last good copy serves reads. */
  #degraded: string | undefined;
  #state: ReplicaState = 'starting';
  #error: Error | undefined;

  // Event-loop only.
  #pendingCheck: Promise<void> | undefined;
  #queue: Job[] = [];
  #draining = false;
  #inFlight = 0;

  constructor(opts: ReplicaOptions) {
    this.#opts = { now: () => performance.now(), ...opts };
    this.store = opts.store;
    this.copy = opts.copy;
    this.kind = opts.kind;
  }

  get state(): ReplicaState {
    return this.#state;
  }

  /** Why opening failed, when `state` is 'failed'. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** The object the local copy corresponds to (ETag, version id, size). */
  get object(): ObjectInfo | undefined {
    return this.#current;
  }

  /** Set while the stored object is damaged (reads serve the last good copy, writes answer 503). */
  get degraded(): string | undefined {
    return this.#degraded;
  }

  /** True while a check, a write or a queued write is in progress: the replica must not be closed. */
  get busy(): boolean {
    return this.#inFlight > 0 || this.#queue.length > 0 || this.#draining || this.#mutex.locked;
  }

  now(): number {
    return this.#opts.now();
  }

  get #log(): Logger {
    return this.#opts.log;
  }

  /**
   * Restores the object into the working copy: downloads it, checks it, migrates it (uploading
   * only if a migration changed something), or creates it as `how` says. Transient store errors are
   * retried with backoff; a damaged object rejects with PersistenceError('corrupt').
   */
  async open(how: IfAbsent): Promise<void> {
    const t0 = this.now();
    try {
      await this.#mutex.run(() => this.#openLocked(how));
      this.#state = 'ready';
      this.#log.info('database ready', {
        store: this.store.location,
        kind: this.kind.name,
        etag: this.#current?.etag,
        versionId: this.#current?.versionId,
        bytes: this.#current?.size,
        ms: Math.round(this.now() - t0),
      });
    } catch (err) {
      this.#state = 'failed';
      this.#error = err instanceof Error ? err : new Error(String(err));
      this.copy.close();
      if (!isPersistenceError(err) || err.code !== 'gone') {
        this.#log.error('database restore failed', { store: this.store.location, err });
      }
      throw err;
    }
  }

  /** Marks the replica failed before it could open (e.g. its working directory is taken). */
  fail(err: unknown): void {
    this.#state = 'failed';
    this.#error = err instanceof Error ? err : new Error(String(err));
  }

  async #openLocked(how: IfAbsent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#restoreOnce(how);
        return;
      } catch (err) {
        // Only a store that is briefly out of reach, or a lost creation race, is worth another try;
        // a damaged object, refused credentials or a failing migration stop here.
        if (this.#state === 'closed' || !isTransient(err)) throw err;
        const delay = Math.min(2000, 50 * 2 ** attempt);
        this.#log.warn('database restore: retrying', { attempt, delayMs: delay, err });
        await sleep(delay);
      }
    }
  }

  async #restoreOnce(how: IfAbsent): Promise<void> {
    const next = `${this.copy.path}.next`;
    const res = await this.store.download(next);
    this.stats.downloads++;
    let creating = false;
    if (res.status === 'ok') {
      const problem = quickCheck(next);
      if (problem) {
        rmSync(next, { force: true });
        throw this.#corrupt(res, problem);
      }
      this.copy.replace(next);
      this.#current = infoOf(res);
    } else if (how.ifAbsent === 'fail') {
      throw new PersistenceError('gone', `${this.store.location} does not exist`);
    } else {
      // No object yet: start from the seed or an empty file; the upload below creates the object
      // with If-None-Match: *.
      const seeded = how.seed ? await how.seed() : null;
      if (seeded) this.copy.replace(seeded);
      else this.copy.create();
      this.#current = undefined;
      creating = true;
      this.#log.info('no database object yet: creating one', { store: this.store.location });
    }
    this.#seenEtag = this.#current?.etag;
    this.#validatedAt = this.now();
    const init = creating && how.ifAbsent === 'create' ? how.init : undefined;
    const migrate = (db: Db) => {
      this.#opts.kind.migrate(db);
      init?.(db);
    };
    const outcome = await this.#applyBatch([{ fn: migrate, resolve: noop, reject: noop }], {
      mustUpload: creating,
      failFast: true,
    });
    if (outcome === 'conflict') {
      throw new PersistenceError(
        'unavailable',
        `another instance changed ${this.store.location} while it was opened; opening again`,
      );
    }
  }

  #corrupt(res: { etag: string; versionId: string | undefined }, problem: string): PersistenceError {
    const version = res.versionId ?? `ETag ${res.etag}`;
    return new PersistenceError(
      'corrupt',
      `${this.store.location} (version ${version}) is not a sound SQLite database: ${problem}. ` +
        'Restore a good version with `npm run db -- versions` then `npm run db -- restore --version ID`.',
    );
  }

  /** Throws PersistenceError('not_ready') unless the replica is open. */
  assertReady(): void {
    if (this.#state !== 'ready') {
      throw new PersistenceError(
        'not_ready',
        this.#state === 'failed'
          ? `database unavailable: ${this.#error?.message}`
          : this.#state === 'closed'
            ? 'database is closed'
            : 'database is starting',
      );
    }
  }

  /**
   * Makes sure the local copy is at least as new as the store was at `arrivedAt` (less the allowed
   * staleness). Concurrent callers share one conditional download.
   */
  async ensureFresh(arrivedAt: number = this.now()): Promise<void> {
    this.assertReady();
    // Strictly after: a check that began in the same instant as the request might have missed a
    // write acknowledged in that instant.
    if (this.#validatedAt > arrivedAt - this.#opts.maxStalenessMs) return;
    // Join a check that has not yet begun (it will begin after we arrived), or queue one.
    if (!this.#pendingCheck) {
      this.#pendingCheck = this.#tracked(() =>
        this.#mutex.run(async () => {
          this.#pendingCheck = undefined;
          await this.#revalidateLocked({ force: false });
        }),
      );
    }
    await this.#pendingCheck;
  }

  async #revalidateLocked(o: { force: boolean }): Promise<void> {
    const started = this.now();
    const next = `${this.copy.path}.next`;
    const res = await this.store
      .download(next, { ifNoneMatch: o.force ? undefined : this.#seenEtag })
      .catch((err: unknown) => {
        rmSync(next, { force: true });
        this.#log.error('database revalidation failed', { store: this.store.location, err });
        throw new PersistenceError('unavailable', `could not check ${this.store.location} for changes`, {
          cause: err,
        });
      });
    this.stats.revalidations++;
    if (res.status === 'not-modified') {
      this.#validatedAt = started;
      return;
    }
    if (res.status === 'absent') {
      this.#log.warn('database object is gone from the store', { store: this.store.location });
      throw new PersistenceError(
        'gone',
        `${this.store.location} has no current object (deleted?); restore a version with \`npm run db -- restore\``,
      );
    }
    this.stats.downloads++;
    this.#seenEtag = res.etag;
    const problem = quickCheck(next);
    if (problem) {
      rmSync(next, { force: true });
      const err = this.#corrupt(res, problem);
      if (this.#degraded === undefined) {
        this.#log.error('refusing a damaged database version: serving the last good copy, refusing writes', {
          store: this.store.location,
          versionId: res.versionId,
          etag: res.etag,
          problem,
        });
      }
      this.#degraded = err.message;
      // Reads go on from the last good copy; the next request asks again (a 304 while it is unchanged).
      this.#validatedAt = started;
      return;
    }
    try {
      this.copy.replace(next);
    } catch (err) {
      rmSync(next, { force: true });
      throw diskFull(err) ?? err;
    }
    if (this.#degraded !== undefined) this.#log.info('database sound again', { store: this.store.location });
    this.#degraded = undefined;
    this.#current = infoOf(res);
    this.#validatedAt = started;
    this.#log.debug('database updated from store', {
      store: this.store.location,
      etag: res.etag,
      versionId: res.versionId,
      bytes: res.size,
    });
  }

  /** Runs `fn` on the read-only connection (the last acknowledged state). `fn` must not return a live iterator. */
  read<T>(fn: (db: Db) => T): T {
    this.assertReady();
    return this.copy.read(fn);
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
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, 256);
        await this.#mutex.run(() => this.#writeBatchLocked(batch));
      }
    } finally {
      this.#draining = false;
    }
  }

  async #writeBatchLocked(batch: Job[]): Promise<void> {
    this.stats.batches++;
    this.stats.batchedWrites += batch.length;
    try {
      if (this.#degraded !== undefined) {
        throw new PersistenceError('corrupt', `nothing was saved: ${this.#degraded}`, {
          retryAfterSeconds: 30,
        });
      }
      for (let attempt = 1; attempt <= this.#opts.writeAttempts; attempt++) {
        const outcome = await this.#applyBatch(batch, { mustUpload: false });
        if (outcome === 'done') return;
        this.stats.conflicts++;
        this.#log.info('write conflict: another instance wrote first; applying again', {
          store: this.store.location,
          attempt,
          jobs: batch.length,
        });
        await sleep(Math.random() * 10 * attempt);
        await this.#revalidateLocked({ force: false });
        if (this.#degraded !== undefined) {
          throw new PersistenceError('corrupt', `nothing was saved: ${this.#degraded}`, {
            retryAfterSeconds: 30,
          });
        }
      }
      const err = new PersistenceError(
        'contention',
        `gave up after ${this.#opts.writeAttempts} attempts: other instances kept writing first`,
        { retryAfterSeconds: 1 },
      );
      this.#log.warn('write contention: answering 503', {
        store: this.store.location,
        attempts: this.#opts.writeAttempts,
        jobs: batch.length,
      });
      for (const job of batch) job.reject(err);
    } catch (err) {
      for (const job of batch) job.reject(err);
    }
  }

  /**
   * One round: apply the batch locally (working-copy.ts), and if it committed, stream the image to
   * the store under the condition the copy's object sets; ack or revert by the answer.
   */
  async #applyBatch(
    batch: Job[],
    o: { mustUpload: boolean; failFast?: boolean },
  ): Promise<'done' | 'conflict'> {
    // A copy left stale by a failed revert holds an unacknowledged commit: download the object again.
    if (this.copy.stale) await this.#revalidateLocked({ force: true });
    const { committed, results } = this.copy.apply(
      batch.map((j) => j.fn),
      { mustCommit: o.mustUpload, failFast: o.failFast },
    );
    if (!committed) {
      settle(batch, results);
      return 'done';
    }

    const started = this.now();
    let info: ObjectInfo;
    try {
      info = await this.store.put(
        this.copy.image(),
        this.#current ? { ifMatch: this.#current.etag } : { ifNoneMatch: '*' },
      );
    } catch (err) {
      const revertError = this.copy.revert();
      if (revertError) {
        this.#log.error(
          'could not restore the local copy after a failed upload; reads go on, the next write reloads it',
          {
            store: this.store.location,
            err: revertError,
          },
        );
      }
      if (isStoreError(err, 'precondition_failed')) return 'conflict';
      // A put whose answer was lost may have landed: the store may now be ahead of this copy, so the
      // next request must look (whatever the staleness allowance) and the client must not be told
      // that nothing changed.
      const outcomeUnknown = isStoreError(err) && err.outcomeUnknown;
      if (outcomeUnknown) this.#validatedAt = Number.NEGATIVE_INFINITY;
      this.#log.error('database upload failed: change rolled back', {
        store: this.store.location,
        outcomeUnknown,
        err,
      });
      throw new PersistenceError(
        'unavailable',
        outcomeUnknown
          ? `could not confirm the save to ${this.store.location}; the change may or may not have been saved`
          : `could not save to ${this.store.location}; nothing was changed`,
        { cause: err, retryAfterSeconds: 2, outcomeUnknown },
      );
    }
    this.#current = info;
    this.#seenEtag = info.etag;
    this.#validatedAt = started;
    this.stats.uploads++;
    this.copy.ack();
    settle(batch, results);
    return 'done';
  }

  /** Counts an operation as in flight (so the replica is not closed under it) while it runs. */
  async #tracked<T>(fn: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await fn();
    } finally {
      this.#inFlight--;
    }
  }

  /** Closes the connections. Nothing is ever left to upload: a write resolves only after its upload. */
  close(): void {
    this.#state = 'closed';
    this.copy.close();
  }

  /** Closes the replica and deletes its local files (an evicted or deleted object). */
  remove(): void {
    this.#state = 'closed';
    this.copy.remove();
  }
}

function infoOf(res: ObjectInfo): ObjectInfo {
  return { etag: res.etag, versionId: res.versionId, size: res.size, lastModified: res.lastModified };
}

function settle(batch: Job[], results: JobResult[]): void {
  batch.forEach((job, i) => {
    const r = results[i];
    if (r?.ok) job.resolve(r.value);
    else job.reject(diskFull(r?.value) ?? r?.value);
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
