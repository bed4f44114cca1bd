import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { copyFile, link, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  errno,
  etagOf,
  infoOf,
  parseVersionId,
  type Version,
  VersionDir,
  writeDurably,
} from './local-versions.ts';
import type {
  Bucket,
  DownloadResult,
  ObjectInfo,
  ObjectSummary,
  PutBody,
  PutCondition,
  SnapshotStore,
  VersionInfo,
} from './store.ts';
import { StoreError } from './store.ts';

/**
 * The embedded store: a local directory that plays a versioned bucket, shared safely by several
 * processes on one machine.
 *
 * Layout: `<dir>/<key>.versions/` holds one immutable file per version, named by its sequence
 * number (`0000000000000042`), and `CURRENT`, a symlink naming the newest version as a hint.
 * The newest existing sequence number is the current object.
 *
 * Why it is safe across processes: a version is published with link(2) of a fully written,
 * fsynced temporary file onto the next sequence number's name. link(2) never replaces an existing
 * name, so exactly one writer can create version N+1, and a writer only ever targets N+1 after
 * checking its condition against version N. Losing that race is a precondition failure, as on S3.
 * `CURRENT` is only a hint (it may lag behind when writers race); readers probe forward from it.
 */
export interface LocalStoreOptions {
  /** The directory that plays the bucket (created on the first put). */
  dir: string;
  /** The object key; may contain `/`. */
  key: string;
  /** Versions kept; older ones are deleted after each put (oldest first). */
  keepVersions: number;
}

export class LocalSnapshotStore implements SnapshotStore {
  readonly location: string;
  readonly #versions: VersionDir;
  readonly #key: string;
  readonly #keep: number;
  #dirReady = false;

  constructor(opts: LocalStoreOptions) {
    if (!Number.isInteger(opts.keepVersions) || opts.keepVersions < 1) {
      throw new RangeError(`local store: keepVersions must be a whole number ≥ 1, got ${opts.keepVersions}`);
    }
    const root = resolve(opts.dir);
    this.#versions = new VersionDir(join(root, `${opts.key}.versions`));
    this.#key = opts.key;
    this.#keep = opts.keepVersions;
    this.location = `${pathToFileURL(root).href} (key ${opts.key})`;
  }

  async download(
    destPath: string,
    opts: { ifNoneMatch?: string; versionId?: string } = {},
  ): Promise<DownloadResult> {
    const op = opts.versionId === undefined ? 'get object' : `get object version ${opts.versionId}`;
    try {
      if (opts.versionId !== undefined) {
        const seq = parseVersionId(opts.versionId);
        const stats = seq === undefined ? null : await this.#versions.stat(seq);
        if (seq === undefined || !stats) {
          throw new StoreError(
            'not_found',
            `${this.#what(op)}: no such version (see \`npm run db -- versions\`)`,
          );
        }
        if (opts.ifNoneMatch === etagOf(seq, stats)) return { status: 'not-modified' };
        return await this.#copyOut({ seq, stats }, destPath);
      }
      // Fast path for revalidation: the caller's version is current when it exists and has no
      // successor. Two stat calls, no directory scan, however many versions there are.
      if (opts.ifNoneMatch !== undefined && (await this.#versions.isCurrentEtag(opts.ifNoneMatch))) {
        return { status: 'not-modified' };
      }
      for (let attempt = 0; ; attempt++) {
        const current = await this.#versions.findCurrent();
        if (!current) return { status: 'absent' };
        if (opts.ifNoneMatch === etagOf(current.seq, current.stats)) return { status: 'not-modified' };
        try {
          return await this.#copyOut(current, destPath);
        } catch (err) {
          // Pruned between finding it and copying it (a newer version exists): look again.
          if (errno(err) !== 'ENOENT' || attempt >= 5) throw err;
        }
      }
    } catch (err) {
      throw this.#storeError(op, err);
    }
  }

  async head(): Promise<ObjectInfo | null> {
    try {
      const current = await this.#versions.findCurrent();
      return current ? infoOf(current) : null;
    } catch (err) {
      throw this.#storeError('head object', err);
    }
  }

  async put(body: PutBody, condition: PutCondition): Promise<ObjectInfo> {
    const op = 'put object';
    let tmp: string | undefined;
    try {
      let current = await this.#versions.findCurrent();
      this.#checkCondition(condition, current);
      await this.#ensureDir();
      tmp = this.#versions.tempName();
      try {
        await writeDurably(tmp, body);
      } catch (err) {
        if (errno(err) !== 'ENOSPC' || !current) throw err;
        // A full disk: old versions would only be pruned after a successful put, so nothing would
        // ever free itself. Keep just the current one (the condition's reference) and try once more.
        await rm(tmp, { force: true });
        await this.#versions.prune(current.seq, 1);
        await writeDurably(tmp, body);
      }
      let seq: number;
      for (;;) {
        seq = (current?.seq ?? 0) + 1;
        try {
          await link(tmp, this.#versions.file(seq));
          break;
        } catch (err) {
          if (errno(err) !== 'EEXIST') throw err;
          if (!('unconditional' in condition)) {
            throw new StoreError(
              'precondition_failed',
              `${this.#what(op)}: precondition failed (another writer created version ${seq} first)`,
            );
          }
          current = await this.#versions.findCurrent();
        }
      }
      await unlink(tmp);
      tmp = undefined;
      await this.#confirmClaim(seq);
      await this.#versions.sync();
      const stats = await stat(this.#versions.file(seq), { bigint: true });
      await this.#versions.updateHint(seq);
      await this.#versions.prune(seq, this.#keep);
      return infoOf({ seq, stats });
    } catch (err) {
      throw this.#storeError(op, err);
    } finally {
      if (tmp) await rm(tmp, { force: true }).catch(() => {});
    }
  }

  async listVersions(): Promise<VersionInfo[]> {
    try {
      const seqs = (await this.#versions.listSeqs()).sort((a, b) => b - a);
      const out: VersionInfo[] = [];
      for (const seq of seqs) {
        const stats = await this.#versions.stat(seq);
        if (!stats) continue; // pruned while we listed
        out.push({ ...infoOf({ seq, stats }), versionId: String(seq), isLatest: out.length === 0 });
      }
      return out;
    } catch (err) {
      throw this.#storeError('list object versions', err);
    }
  }

  async remove(): Promise<void> {
    try {
      // Like a delete marker on a versioned bucket: the versions stay (under a new name) for the
      // operator, and the key has no current object.
      const kept = `${this.#versions.path.replace(/\.versions$/, '')}.deleted-${Date.now()}-${randomBytes(3).toString('hex')}`;
      await rename(this.#versions.path, kept);
      this.#dirReady = false;
    } catch (err) {
      if (errno(err) === 'ENOENT') return;
      throw this.#storeError('delete object', err);
    }
  }

  #checkCondition(condition: PutCondition, current: Version | null): void {
    if ('ifMatch' in condition) {
      if (!current) {
        throw new StoreError(
          'precondition_failed',
          `${this.#what('put object')}: precondition failed (no current object; expected ETag ${condition.ifMatch})`,
        );
      }
      if (etagOf(current.seq, current.stats) !== condition.ifMatch) {
        throw new StoreError(
          'precondition_failed',
          `${this.#what('put object')}: precondition failed (the object changed since ETag ${condition.ifMatch})`,
        );
      }
    } else if ('ifNoneMatch' in condition && current) {
      throw new StoreError(
        'precondition_failed',
        `${this.#what('put object')}: precondition failed (an object exists)`,
      );
    }
  }

  /**
   * Proves the version just linked is a new successor, not the reuse of a pruned name by a writer
   * that stalled while many others wrote. Pruning deletes oldest first, so if the predecessor still
   * exists, no name at or above it was ever pruned. Otherwise the write is only confirmed when no
   * newer version exists; when one does, the outcome is reported as unknown, like an S3 timeout.
   */
  async #confirmClaim(seq: number): Promise<void> {
    if (seq > 1 && (await this.#versions.stat(seq - 1))) return;
    const newer = (await this.#versions.listSeqs()).some((s) => s > seq);
    if (newer) {
      throw new StoreError(
        'unavailable',
        `${this.#what('put object')}: could not confirm version ${seq} (newer versions appeared and older ones ` +
          'were pruned meanwhile); the write may or may not be current: revalidate before retrying',
        { outcomeUnknown: true },
      );
    }
  }

  async #copyOut(version: Version, destPath: string): Promise<DownloadResult> {
    const src = this.#versions.file(version.seq);
    await mkdir(dirname(resolve(destPath)), { recursive: true });
    const tmp = `${destPath}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await copyFile(src, tmp, constants.COPYFILE_FICLONE);
      const copied = await stat(tmp);
      if (BigInt(copied.size) !== version.stats.size) {
        throw new StoreError(
          'unavailable',
          `copied ${copied.size} of ${version.stats.size} bytes from ${src}`,
        );
      }
      await rename(tmp, destPath);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    return { status: 'ok', ...infoOf(version) };
  }

  async #ensureDir(): Promise<void> {
    if (this.#dirReady) return;
    await mkdir(this.#versions.path, { recursive: true });
    this.#dirReady = true;
  }

  #what(op: string): string {
    return `local store: ${op} ${this.#key} in ${this.#versions.path}`;
  }

  #storeError(op: string, err: unknown): StoreError {
    if (err instanceof StoreError) return err;
    const code = errno(err);
    const detail = err instanceof Error ? err.message : String(err);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new StoreError('access_denied', `${this.#what(op)}: ${detail} (check CC_LOCAL_STORE_DIR)`, {
        cause: err,
      });
    }
    return new StoreError('unavailable', `${this.#what(op)}: ${detail}`, { cause: err });
  }
}

/** The local directory as a bucket: one LocalSnapshotStore per key, and a listing for the operator. */
export class LocalBucket implements Bucket {
  readonly location: string;
  readonly #dir: string;
  readonly #keep: number;

  constructor(opts: { dir: string; keepVersions: number }) {
    this.#dir = resolve(opts.dir);
    this.#keep = opts.keepVersions;
    this.location = pathToFileURL(this.#dir).href;
  }

  object(key: string): LocalSnapshotStore {
    return new LocalSnapshotStore({ dir: this.#dir, key, keepVersions: this.#keep });
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    const out: ObjectSummary[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(join(this.#dir, rel), { withFileTypes: true });
      } catch (err) {
        if (errno(err) === 'ENOENT') return;
        throw new StoreError('unavailable', `local store: list ${this.#dir}: ${String(err)}`, { cause: err });
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.name.endsWith('.versions')) {
          const key = path.slice(0, -'.versions'.length);
          if (!key.startsWith(prefix)) continue;
          const store = this.object(key);
          const [head, versions] = await Promise.all([store.head(), store.listVersions()]);
          if (head)
            out.push({
              key,
              etag: head.etag,
              size: head.size,
              lastModified: head.lastModified,
              versions: versions.length,
            });
        } else if (!/\.deleted-\d+-[0-9a-f]+$/.test(e.name)) {
          await walk(path);
        }
      }
    };
    await walk('');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
