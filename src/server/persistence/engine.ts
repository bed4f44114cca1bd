import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { PersistenceError } from './errors.ts';
import { type ObjectKind, Replica, type ReplicaState } from './replica.ts';
import type { Db } from './sqlite-file.ts';
import type { Bucket } from './store.ts';
import { lockWorkDir } from './work-lock.ts';
import { WorkingCopy } from './working-copy.ts';

export interface EngineOptions {
  bucket: Bucket;
  /** Key prefix of every object: '' or a folder ending in '/' (the folder of CC_DB_KEY). */
  prefix: string;
  /** Local directory for the working copies (a cache: emptied of workspace copies at start). */
  workDir: string;
  /** Most workspace copies kept open at once; least recently used idle ones are closed first. */
  maxOpenWorkspaces: number;
  /** Most bytes the working copies may take on local disk before idle workspace copies are dropped. */
  maxLocalBytes: number;
  maxStalenessMs: number;
  writeAttempts: number;
  directoryKind: ObjectKind;
  workspaceKind: ObjectKind;
  /** Connection settings the app needs (e.g. `foreign_keys = ON`), applied to every connection. */
  configure?: (db: Db) => void;
  /**
   * Prepares the first directory when the bucket has none (e.g. split from a legacy database):
   * returns a database file to upload as the directory, or null to start an empty one.
   */
  seedDirectory?: () => Promise<string | null>;
  log: Logger;
  now?: () => number;
}

/** A workspace replica in use by a request: it is not closed until every lease is released. */
export interface Lease {
  readonly replica: Replica;
  /** Idempotent. */
  release(): void;
}

interface Entry {
  replica: Replica;
  opening: Promise<void>;
  refs: number;
  lastUsed: number;
}

/** Workspace ids as the app makes them: random, URL-safe; checked again here because they become paths. */
const WORKSPACE_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * The persistence engine: one directory object and any number of workspace objects, each kept in
 * step with its stored object by a Replica (replica.ts) over a WorkingCopy (working-copy.ts).
 *
 * 1. Cold start (`start()`) restores the directory alone: time to ready does not grow with the
 *    number or size of workspaces.
 * 2. A workspace is opened on first use (download, quick_check, migrations) and shared by every
 *    request that touches it. Opening the same workspace twice at once downloads it once.
 * 3. At most `maxOpenWorkspaces` workspace copies stay open, and their files stay under
 *    `maxLocalBytes`: past either bound the least recently used copies that no request holds (a
 *    lease) and that have nothing in flight are closed and deleted. When every copy is in use the
 *    bound is exceeded rather than a request refused; it shrinks back as leases are released.
 * 4. Every guarantee of a Replica (acknowledged only once stored, conditional writes, re-apply on
 *    412, read-your-writes) holds per object; writes to different objects never wait for each other.
 */
export class Engine {
  readonly directory: Replica;
  readonly #opts: EngineOptions & { now: () => number };
  /** Open workspace replicas by id, in no particular order (LRU by `lastUsed`). */
  readonly #workspaces = new Map<string, Entry>();
  /** The last measured bytes on disk of each copy, and the state they were measured in (#bytesOf). */
  readonly #sizes = new WeakMap<Replica, { sig: string; bytes: number }>();
  #unlock: (() => void) | undefined;
  #closed = false;

  constructor(opts: EngineOptions) {
    this.#opts = { now: () => performance.now(), ...opts };
    this.directory = this.#replica(
      this.directoryKey,
      join(opts.workDir, 'directory.sqlite'),
      opts.directoryKind,
    );
  }

  get directoryKey(): string {
    return `${this.#opts.prefix}directory.sqlite`;
  }

  workspaceKey(id: string): string {
    return `${this.#opts.prefix}workspaces/${assertWorkspaceId(id)}.sqlite`;
  }

  /** The directory's state: the engine is ready when the directory is. */
  get state(): ReplicaState {
    return this.directory.state;
  }

  get error(): Error | undefined {
    return this.directory.error;
  }

  get bucket(): Bucket {
    return this.#opts.bucket;
  }

  now(): number {
    return this.#opts.now();
  }

  /** Claims the working directory, drops workspace copies a previous process left, restores the directory. */
  async start(): Promise<void> {
    try {
      this.#unlock = lockWorkDir(this.#opts.workDir);
      rmSync(join(this.#opts.workDir, 'workspaces'), { recursive: true, force: true });
    } catch (err) {
      this.#opts.log.error('database restore failed', { err });
      // Reported through the directory's state, like any other failed start.
      this.directory.fail(err);
      throw err;
    }
    await this.directory.open({ ifAbsent: 'create', seed: this.#opts.seedDirectory });
  }

  /**
   * A lease on workspace `id`, opened (downloaded, checked, migrated) if this instance has no copy.
   * Rejects with PersistenceError('gone') when the workspace object does not exist.
   */
  async workspace(id: string): Promise<Lease> {
    if (this.#closed) throw new PersistenceError('not_ready', 'the server is shutting down');
    this.directory.assertReady();
    const entry = this.#entry(id, () => ({ ifAbsent: 'fail' }));
    return this.#lease(id, entry);
  }

  /**
   * Creates workspace `id` with If-None-Match: * (migrations, then `init` in the same transaction)
   * and returns a lease on it. If the object already exists it is opened as it is.
   */
  async createWorkspace(id: string, init: (db: Db) => void): Promise<Lease> {
    this.directory.assertReady();
    const entry = this.#entry(id, () => ({ ifAbsent: 'create', init }));
    return this.#lease(id, entry);
  }

  /** Deletes workspace `id`'s object (its versions stay in a versioned bucket) and its local copy. */
  async deleteWorkspace(id: string): Promise<void> {
    await this.#opts.bucket.object(this.workspaceKey(id)).remove();
    const entry = this.#workspaces.get(id);
    if (entry && entry.refs === 0 && !entry.replica.busy) {
      this.#workspaces.delete(id);
      entry.replica.remove();
    }
  }

  /** Objects whose stored version is damaged (reads serve the last good copy, writes answer 503). */
  degraded(): { key: string; problem: string }[] {
    const out: { key: string; problem: string }[] = [];
    for (const r of [this.directory, ...[...this.#workspaces.values()].map((e) => e.replica)]) {
      if (r.degraded !== undefined) out.push({ key: r.store.location, problem: r.degraded });
    }
    return out;
  }

  /** How many workspace copies are open, and the bytes every copy (directory included) takes on disk. */
  usage(): { openWorkspaces: number; localBytes: number } {
    let localBytes = this.#bytesOf(this.directory);
    for (const e of this.#workspaces.values()) localBytes += this.#bytesOf(e.replica);
    return { openWorkspaces: this.#workspaces.size, localBytes };
  }

  /**
   * A copy's bytes on disk, measured again only when it changed (a download, a write batch, a new
   * object): usage() runs on every lease's release, and stat calls for every open copy on every
   * request would grow with the number of open workspaces.
   */
  #bytesOf(replica: Replica): number {
    const { uploads, downloads, batches } = replica.stats;
    const sig = `${replica.object?.etag}|${uploads}|${downloads}|${batches}`;
    const known = this.#sizes.get(replica);
    if (known?.sig === sig) return known.bytes;
    const bytes = replica.copy.bytesOnDisk();
    this.#sizes.set(replica, { sig, bytes });
    return bytes;
  }

  /** Closes every copy. Nothing is ever left to upload: a write resolves only after its upload. */
  close(): void {
    this.#closed = true;
    for (const e of this.#workspaces.values()) e.replica.close();
    this.#workspaces.clear();
    this.directory.close();
    this.#unlock?.();
    this.#unlock = undefined;
  }

  #entry(id: string, how: () => Parameters<Replica['open']>[0]): Entry {
    const existing = this.#workspaces.get(id);
    if (existing && existing.replica.state !== 'failed' && existing.replica.state !== 'closed')
      return existing;
    const replica = this.#replica(
      this.workspaceKey(id),
      join(this.#opts.workDir, 'workspaces', `${id}.sqlite`),
      this.#opts.workspaceKind,
    );
    mkdirSync(join(this.#opts.workDir, 'workspaces'), { recursive: true });
    const entry: Entry = { replica, opening: replica.open(how()), refs: 0, lastUsed: this.now() };
    entry.opening.catch(() => {
      // A workspace that could not be opened is forgotten, so the next request tries again.
      if (this.#workspaces.get(id) === entry) this.#workspaces.delete(id);
      replica.remove();
    });
    this.#workspaces.set(id, entry);
    return entry;
  }

  async #lease(id: string, entry: Entry): Promise<Lease> {
    entry.refs++;
    entry.lastUsed = this.now();
    try {
      await entry.opening;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    this.#evict(id);
    let released = false;
    return {
      replica: entry.replica,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        entry.lastUsed = this.now();
        this.#evict();
      },
    };
  }

  /** Closes least recently used idle copies until both bounds hold (or nothing more can go). */
  #evict(keep?: string): void {
    const { maxOpenWorkspaces, maxLocalBytes } = this.#opts;
    let { openWorkspaces, localBytes } = { openWorkspaces: this.#workspaces.size, localBytes: -1 };
    const overBytes = () => {
      if (localBytes < 0) localBytes = this.usage().localBytes;
      return localBytes > maxLocalBytes;
    };
    if (openWorkspaces <= maxOpenWorkspaces && !overBytes()) return;
    const idle = [...this.#workspaces.entries()]
      .filter(([id, e]) => id !== keep && e.refs === 0 && !e.replica.busy && e.replica.state === 'ready')
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, e] of idle) {
      if (openWorkspaces <= maxOpenWorkspaces && !overBytes()) break;
      const bytes = e.replica.copy.bytesOnDisk();
      this.#workspaces.delete(id);
      e.replica.remove();
      openWorkspaces--;
      if (localBytes >= 0) localBytes -= bytes;
      this.#opts.log.debug('workspace copy closed (least recently used)', { workspace: id, bytes });
    }
  }

  #replica(key: string, path: string, kind: ObjectKind): Replica {
    return new Replica({
      store: this.#opts.bucket.object(key),
      copy: new WorkingCopy(path, this.#opts.configure),
      kind,
      maxStalenessMs: this.#opts.maxStalenessMs,
      writeAttempts: this.#opts.writeAttempts,
      log: this.#opts.log,
      now: this.#opts.now,
    });
  }
}

/** Throws unless `id` has the shape of a workspace id (it becomes part of a path and a key). */
export function assertWorkspaceId(id: string): string {
  if (!WORKSPACE_ID.test(id)) throw new Error(`not a workspace id: ${JSON.stringify(id)}`);
  return id;
}
