import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { constants } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DownloadResult, ObjectInfo, PutCondition, SnapshotStore, VersionInfo } from './store.ts';
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

const DIGITS = 16;
const VERSION_NAME = /^\d{16}$/;
const ETAG = /^"?(\d+)-([0-9a-z]+)"?$/;
const HINT = 'CURRENT';
/** Temporary files left by a process that died mid-put are removed once they are this old. */
const STALE_TEMP_MS = 3_600_000;

interface Version {
  seq: number;
  stats: BigIntStats;
}

export class LocalSnapshotStore implements SnapshotStore {
  readonly location: string;
  readonly #dir: string;
  readonly #key: string;
  readonly #keep: number;
  #dirReady = false;

  constructor(opts: LocalStoreOptions) {
    if (!Number.isInteger(opts.keepVersions) || opts.keepVersions < 1) {
      throw new RangeError(`local store: keepVersions must be a whole number ≥ 1, got ${opts.keepVersions}`);
    }
    const root = resolve(opts.dir);
    this.#dir = join(root, `${opts.key}.versions`);
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
        const stats = seq === undefined ? null : await statVersion(this.#path(seq));
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
      if (opts.ifNoneMatch !== undefined && (await this.#isCurrentEtag(opts.ifNoneMatch))) {
        return { status: 'not-modified' };
      }
      for (let attempt = 0; ; attempt++) {
        const current = await this.#findCurrent();
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
      const current = await this.#findCurrent();
      return current ? infoOf(current) : null;
    } catch (err) {
      throw this.#storeError('head object', err);
    }
  }

  async put(body: Uint8Array, condition: PutCondition): Promise<ObjectInfo> {
    const op = 'put object';
    let tmp: string | undefined;
    try {
      let current = await this.#findCurrent();
      this.#checkCondition(condition, current);
      await this.#ensureDir();
      tmp = join(this.#dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
      await writeDurably(tmp, body);
      let seq: number;
      for (;;) {
        seq = (current?.seq ?? 0) + 1;
        try {
          await link(tmp, this.#path(seq));
          break;
        } catch (err) {
          if (errno(err) !== 'EEXIST') throw err;
          if (!('unconditional' in condition)) {
            throw new StoreError(
              'precondition_failed',
              `${this.#what(op)}: precondition failed (another writer created version ${seq} first)`,
            );
          }
          current = await this.#findCurrent();
        }
      }
      await unlink(tmp);
      tmp = undefined;
      await this.#confirmClaim(seq);
      await fsyncDir(this.#dir);
      const stats = await stat(this.#path(seq), { bigint: true });
      await this.#updateHint(seq);
      await this.#prune(seq);
      return infoOf({ seq, stats });
    } catch (err) {
      throw this.#storeError(op, err);
    } finally {
      if (tmp) await rm(tmp, { force: true }).catch(() => {});
    }
  }

  async listVersions(): Promise<VersionInfo[]> {
    try {
      const seqs = (await this.#listSeqs()).sort((a, b) => b - a);
      const out: VersionInfo[] = [];
      for (const seq of seqs) {
        const stats = await statVersion(this.#path(seq));
        if (!stats) continue; // pruned while we listed
        out.push({ ...infoOf({ seq, stats }), versionId: String(seq), isLatest: out.length === 0 });
      }
      return out;
    } catch (err) {
      throw this.#storeError('list object versions', err);
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
    if (seq > 1 && (await statVersion(this.#path(seq - 1)))) return;
    const newer = (await this.#listSeqs()).some((s) => s > seq);
    if (newer) {
      throw new StoreError(
        'unavailable',
        `${this.#what('put object')}: could not confirm version ${seq} (newer versions appeared and older ones ` +
          'were pruned meanwhile); the write may or may not be current: revalidate before retrying',
      );
    }
  }

  async #isCurrentEtag(etag: string): Promise<boolean> {
    const m = ETAG.exec(etag);
    if (!m) return false;
    const seq = Number(m[1]);
    if (await statVersion(this.#path(seq + 1))) return false;
    const stats = await statVersion(this.#path(seq));
    return stats !== null && etagOf(seq, stats) === etag;
  }

  /** The newest version: from the hint, probing forward; a directory scan only when the hint is unusable. */
  async #findCurrent(): Promise<Version | null> {
    const hint = await this.#readHint();
    if (hint !== undefined) {
      const found = await this.#probeFrom(hint);
      if (found) return found;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const seqs = await this.#listSeqs();
      if (seqs.length === 0) return null;
      const found = await this.#probeFrom(Math.max(...seqs));
      if (found) return found;
    }
    throw new StoreError('unavailable', `${this.#what('find current version')}: versions keep disappearing`);
  }

  async #probeFrom(start: number): Promise<Version | null> {
    let seq = start;
    let stats = await statVersion(this.#path(seq));
    if (!stats) return null;
    for (;;) {
      const next = await statVersion(this.#path(seq + 1));
      if (!next) return { seq, stats };
      seq += 1;
      stats = next;
    }
  }

  async #readHint(): Promise<number | undefined> {
    try {
      return parseVersionId(String(Number(await readlink(join(this.#dir, HINT)))));
    } catch {
      return undefined;
    }
  }

  /** Moves the hint forward (never back, unless another writer raced us between the read and the rename). */
  async #updateHint(seq: number): Promise<void> {
    const hint = await this.#readHint();
    if (hint !== undefined && hint >= seq) return;
    const tmp = join(this.#dir, `.tmp-hint-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await symlink(seqName(seq), tmp);
      await rename(tmp, join(this.#dir, HINT));
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }

  /**
   * Deletes versions older than the newest `keep`, oldest first (the order #confirmClaim relies on).
   * In the steady state that is one unlink; a full scan only when older versions are left over.
   * Best effort: a put that landed is never failed by pruning.
   */
  async #prune(newest: number): Promise<void> {
    const cutoff = newest - this.#keep;
    if (cutoff < 1) return;
    try {
      if (cutoff === 1 || !(await statVersion(this.#path(cutoff - 1)))) {
        await unlink(this.#path(cutoff)).catch(ignoreEnoent);
        return;
      }
      const seqs = (await this.#listSeqs()).filter((s) => s <= cutoff).sort((a, b) => a - b);
      for (const seq of seqs) await unlink(this.#path(seq)).catch(ignoreEnoent);
      await this.#removeStaleTemps();
    } catch {
      // Pruning is housekeeping; the next put tries again.
    }
  }

  async #removeStaleTemps(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.#dir)) {
      if (!name.startsWith('.tmp-')) continue;
      const st = await stat(join(this.#dir, name)).catch(() => null);
      if (st && now - st.mtimeMs > STALE_TEMP_MS) await rm(join(this.#dir, name), { force: true });
    }
  }

  async #listSeqs(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
    return names.filter((n) => VERSION_NAME.test(n)).map(Number);
  }

  async #copyOut(version: Version, destPath: string): Promise<DownloadResult> {
    const src = this.#path(version.seq);
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
    await mkdir(this.#dir, { recursive: true });
    this.#dirReady = true;
  }

  #path(seq: number): string {
    return join(this.#dir, seqName(seq));
  }

  #what(op: string): string {
    return `local store: ${op} ${this.#key} in ${this.#dir}`;
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

function seqName(seq: number): string {
  return String(seq).padStart(DIGITS, '0');
}

function parseVersionId(id: string): number | undefined {
  if (!/^\d{1,16}$/.test(id)) return undefined;
  const seq = Number(id);
  return seq >= 1 && Number.isSafeInteger(seq) ? seq : undefined;
}

/** Sequence number plus modification time in nanoseconds: a rebuilt directory never repeats an ETag. */
function etagOf(seq: number, stats: BigIntStats): string {
  return `"${seq}-${stats.mtimeNs.toString(36)}"`;
}

function infoOf(v: Version): ObjectInfo {
  return {
    etag: etagOf(v.seq, v.stats),
    versionId: String(v.seq),
    size: Number(v.stats.size),
    lastModified: new Date(Number(v.stats.mtimeMs)),
  };
}

async function statVersion(path: string): Promise<BigIntStats | null> {
  try {
    return await stat(path, { bigint: true });
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Writes a new file and fsyncs it, so the link that publishes it never exposes unwritten data. */
async function writeDurably(path: string, body: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes the new directory entries themselves durable: an acknowledged put survives a crash. */
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

function ignoreEnoent(err: unknown): void {
  if (errno(err) !== 'ENOENT') throw err;
}
