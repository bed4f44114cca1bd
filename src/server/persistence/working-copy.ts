import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PersistenceError } from './errors.ts';
import {
  type Connections,
  checkpoint,
  closeConnections,
  type Db,
  openConnections,
  pinReader,
  removeSidecars,
  unpinReader,
} from './sqlite-file.ts';
import { type DatabaseImage, describeImage } from './wal-image.ts';

/**
 * The local copy of one stored object: one SQLite file in WAL mode, a writer connection and a
 * read-only reader connection. It knows nothing of the store; the replica (replica.ts) decides when
 * a change is acknowledged. What it guarantees:
 *
 * 1. Between batches the main file alone is the acknowledged database: every batch begins by
 *    folding the WAL into it (`apply`), and nothing else checkpoints (`wal_autocheckpoint = 0`).
 * 2. A batch that changed nothing is rolled back, never committed: no WAL frame, nothing to upload.
 *    "Changed" counts only the rows of jobs that succeeded (a job that threw is rolled back to its
 *    savepoint and its rows do not count), plus schema changes. A batch that did change something
 *    also sets a random `user_version`, so no two committed images are ever byte for byte the same.
 * 3. From the local COMMIT of a batch until `ack()` or `revert()` the reader is pinned (an open read
 *    transaction) to the acknowledged snapshot: no reader ever sees an unacknowledged change.
 * 4. `revert()` puts the acknowledged main file back in place (the batch lived only in the WAL). If
 *    even that fails (a full disk), the copy is `stale`: the reader stays pinned to the acknowledged
 *    snapshot, so reads go on, and the owner must `replace()` the copy before the next write.
 * 5. `replace()` and `create()` swap whole files: the connections are closed first and reopened
 *    after, and the old file's sidecars are removed so a stale WAL is never replayed onto a new file.
 *
 * Not thread-safe by itself: the replica calls `apply`/`ack`/`revert`/`replace` under its write
 * lock; reads are synchronous and so never interleave with them.
 */
export class WorkingCopy {
  readonly path: string;
  readonly #configure: ((db: Db) => void) | undefined;
  #conns: Connections | undefined;
  #stale = false;

  constructor(path: string, configure?: (db: Db) => void) {
    this.path = path;
    this.#configure = configure;
  }

  /** True when a failed batch could not be reverted: `replace()` before the next write. */
  get stale(): boolean {
    return this.#stale;
  }

  get isOpen(): boolean {
    return this.#conns !== undefined;
  }

  /** Runs `fn` on the read-only connection: the last acknowledged state. */
  read<T>(fn: (db: Db) => T): T {
    if (!this.#conns) throw new PersistenceError('unavailable', 'database is being replaced; try again');
    return fn(this.#conns.reader);
  }

  /** Replaces the copy with the complete database file `next` (renamed into place) and opens it. */
  replace(next: string): void {
    this.close();
    mkdirSync(dirname(this.path), { recursive: true });
    renameSync(next, this.path);
    removeSidecars(this.path);
    this.#open();
  }

  /** Starts an empty database in place of whatever was there. */
  create(): void {
    this.close();
    mkdirSync(dirname(this.path), { recursive: true });
    rmSync(this.path, { force: true });
    removeSidecars(this.path);
    this.#open();
  }

  /**
   * One batch: BEGIN, each job in its own savepoint (a job that throws is rolled back alone and its
   * error becomes its result), then COMMIT with the reader pinned — or ROLLBACK when no successful
   * job changed anything and `mustCommit` is false. With `failFast` the first throwing job aborts the
   * whole batch (rolled back, the error rethrown).
   */
  apply(
    jobs: ((db: Db) => unknown)[],
    o: { mustCommit: boolean; failFast?: boolean },
  ): { committed: boolean; results: JobResult[] } {
    const conns = this.#conns;
    if (!conns) throw new PersistenceError('unavailable', 'database is not open');
    if (this.#stale) {
      throw new PersistenceError(
        'unavailable',
        'the local copy could not be restored after a failed save; nothing was saved',
      );
    }
    const { writer: w, reader } = conns;
    let folded: boolean;
    try {
      folded = checkpoint(w);
    } catch (err) {
      // Folding the WAL can grow the main file: a full disk shows up here first.
      throw diskFull(err) ?? err;
    }
    if (!folded) {
      throw new PersistenceError(
        'unavailable',
        'the local database is busy (checkpoint incomplete); try again',
      );
    }
    const schemaBefore = schemaVersion(w);
    const results: JobResult[] = [];
    let changed = false;
    try {
      w.exec('BEGIN IMMEDIATE');
      for (const job of jobs) {
        const before = totalChanges(w);
        w.exec('SAVEPOINT job');
        try {
          results.push({ ok: true, value: job(w) });
          w.exec('RELEASE job');
          if (totalChanges(w) !== before) changed = true;
        } catch (err) {
          if (o.failFast) throw err;
          w.exec('ROLLBACK TO job');
          w.exec('RELEASE job');
          results.push({ ok: false, value: err });
        }
      }
      if (!changed && !o.mustCommit && schemaVersion(w) === schemaBefore) {
        w.exec('ROLLBACK');
        return { committed: false, results };
      }
      // Every committed image is unique, so an upload whose answer was lost can be recognised by
      // its MD5 alone (s3-store.ts): no other writer can ever have put the same bytes.
      w.pragma(`user_version = ${randomBytes(4).readInt32LE(0)}`);
      pinReader(reader);
      w.exec('COMMIT');
      return { committed: true, results };
    } catch (err) {
      if (w.inTransaction) w.exec('ROLLBACK');
      unpinReader(reader);
      throw diskFull(err) ?? err;
    }
  }

  /** The committed image to upload (main file + WAL frames), read from disk while it is sent. */
  image(): DatabaseImage {
    return describeImage(this.path);
  }

  /** The store took the batch: readers move on to it. */
  ack(): void {
    if (this.#conns) unpinReader(this.#conns.reader);
  }

  /**
   * The store refused the batch (or could not be reached): back to the acknowledged state, which is
   * the main file as it was before the batch (its commit went to the WAL only). On failure the copy
   * becomes stale (invariant 4) and the error is returned for the log.
   */
  revert(): Error | undefined {
    const next = `${this.path}.next`;
    try {
      copyFileSync(this.path, next);
      this.replace(next);
      return undefined;
    } catch (err) {
      try {
        rmSync(next, { force: true, recursive: true });
      } catch {
        // Whatever is in the way is replaced or reported by the next download.
      }
      this.#stale = true;
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Bytes the copy takes on local disk (main file and WAL). */
  bytesOnDisk(): number {
    let total = 0;
    // Asked on every lease's release (engine.ts): an absent WAL must not cost an exception.
    for (const p of [this.path, `${this.path}-wal`])
      total += statSync(p, { throwIfNoEntry: false })?.size ?? 0;
    return total;
  }

  close(): void {
    closeConnections(this.#conns);
    this.#conns = undefined;
  }

  /** Closes the copy and deletes its files (an evicted or deleted object). */
  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
    rmSync(`${this.path}.next`, { force: true });
    removeSidecars(this.path);
  }

  #open(): void {
    this.#conns = openConnections(this.path, this.#configure);
    this.#stale = false;
  }
}

export type JobResult = { ok: true; value: unknown } | { ok: false; value: unknown };

function totalChanges(db: Db): number {
  return (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
}

function schemaVersion(db: Db): number {
  return db.pragma('schema_version', { simple: true }) as number;
}

/** SQLITE_FULL (or a disk I/O error) while committing: the server's disk is full; nothing was saved. */
export function diskFull(err: unknown): PersistenceError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'SQLITE_IOERR_WRITE') {
    return new PersistenceError('unavailable', 'the server ran out of local disk space; nothing was saved', {
      cause: err,
      retryAfterSeconds: 5,
    });
  }
  return undefined;
}
