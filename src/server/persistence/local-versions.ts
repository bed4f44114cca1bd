import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { open, readdir, readlink, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectInfo, PutBody } from './store.ts';

/**
 * The on-disk layout of one key in the local store: a directory of immutable version files named
 * by sequence number (`0000000000000042`), and `CURRENT`, a symlink naming the newest version as a
 * hint. The newest existing sequence number is the current object. Nothing here decides whether a
 * write may happen; LocalSnapshotStore does (local-store.ts).
 */

export interface Version {
  seq: number;
  stats: BigIntStats;
}

const DIGITS = 16;
const VERSION_NAME = /^\d{16}$/;
const ETAG = /^"?(\d+)-([0-9a-z]+)"?$/;
const HINT = 'CURRENT';
/** Temporary files left by a process that died mid-put are removed once they are this old. */
const STALE_TEMP_MS = 3_600_000;

export class VersionDir {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The file of version `seq`. */
  file(seq: number): string {
    return join(this.path, String(seq).padStart(DIGITS, '0'));
  }

  /** A fresh temporary name inside the directory (same file system, so it can be linked). */
  tempName(): string {
    return join(this.path, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** The stats of version `seq`, or null when it does not exist. */
  async stat(seq: number): Promise<BigIntStats | null> {
    try {
      return await stat(this.file(seq), { bigint: true });
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /** Every sequence number present, unordered (a directory scan: listing and recovery only). */
  async listSeqs(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.path);
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
    return names.filter((n) => VERSION_NAME.test(n)).map(Number);
  }

  /** The newest version: from the hint, probing forward; a directory scan only when the hint is unusable. */
  async findCurrent(): Promise<Version | null> {
    const hint = await this.#readHint();
    if (hint !== undefined) {
      const found = await this.#probeFrom(hint);
      if (found) return found;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const seqs = await this.listSeqs();
      if (seqs.length === 0) return null;
      const found = await this.#probeFrom(Math.max(...seqs));
      if (found) return found;
    }
    throw new Error(`versions in ${this.path} keep disappearing while looking for the newest`);
  }

  /**
   * True when `etag` names the current version: it exists and has no successor. Two stat calls,
   * however many versions there are — the cost of a revalidation that finds nothing new.
   */
  async isCurrentEtag(etag: string): Promise<boolean> {
    const m = ETAG.exec(etag);
    if (!m) return false;
    const seq = Number(m[1]);
    if (await this.stat(seq + 1)) return false;
    const stats = await this.stat(seq);
    return stats !== null && etagOf(seq, stats) === etag;
  }

  /** Moves the hint forward (never back, unless another writer raced us between the read and the rename). */
  async updateHint(seq: number): Promise<void> {
    const hint = await this.#readHint();
    if (hint !== undefined && hint >= seq) return;
    const tmp = join(this.path, `.tmp-hint-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await symlink(String(seq).padStart(DIGITS, '0'), tmp);
      await rename(tmp, join(this.path, HINT));
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }

  /**
   * Deletes versions older than the newest `keep`, oldest first (the order LocalSnapshotStore's
   * claim check relies on). In the steady state that is one stat and one unlink; a full scan only
   * when older versions are left over. Best effort: a put that landed is never failed by pruning.
   */
  async prune(newest: number, keep: number): Promise<void> {
    const cutoff = newest - keep;
    if (cutoff < 1) return;
    try {
      if (cutoff === 1 || !(await this.stat(cutoff - 1))) {
        await unlink(this.file(cutoff)).catch(ignoreEnoent);
        return;
      }
      const seqs = (await this.listSeqs()).filter((s) => s <= cutoff).sort((a, b) => a - b);
      for (const seq of seqs) await unlink(this.file(seq)).catch(ignoreEnoent);
      await this.#removeStaleTemps();
    } catch {
      // Pruning is housekeeping; the next put tries again.
    }
  }

  /** Makes new directory entries durable: an acknowledged put survives a crash. */
  async sync(): Promise<void> {
    const fh = await open(this.path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async #probeFrom(start: number): Promise<Version | null> {
    let seq = start;
    let stats = await this.stat(seq);
    if (!stats) return null;
    for (;;) {
      const next = await this.stat(seq + 1);
      if (!next) return { seq, stats };
      seq += 1;
      stats = next;
    }
  }

  async #readHint(): Promise<number | undefined> {
    try {
      return parseVersionId(String(Number(await readlink(join(this.path, HINT)))));
    } catch {
      return undefined;
    }
  }

  async #removeStaleTemps(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.path)) {
      if (!name.startsWith('.tmp-')) continue;
      const st = await stat(join(this.path, name)).catch(() => null);
      if (st && now - st.mtimeMs > STALE_TEMP_MS) await rm(join(this.path, name), { force: true });
    }
  }
}

/** A version id as given by an operator: the sequence number in decimal. */
export function parseVersionId(id: string): number | undefined {
  if (!/^\d{1,16}$/.test(id)) return undefined;
  const seq = Number(id);
  return seq >= 1 && Number.isSafeInteger(seq) ? seq : undefined;
}

/** Sequence number plus modification time in nanoseconds: a rebuilt directory never repeats an ETag. */
export function etagOf(seq: number, stats: BigIntStats): string {
  return `"${seq}-${stats.mtimeNs.toString(36)}"`;
}

export function infoOf(v: Version): ObjectInfo {
  return {
    etag: etagOf(v.seq, v.stats),
    versionId: String(v.seq),
    size: Number(v.stats.size),
    lastModified: new Date(Number(v.stats.mtimeMs)),
  };
}

/** Writes a new file and fsyncs it, so the link that publishes it never exposes unwritten data. */
export async function writeDurably(path: string, body: PutBody): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    if (body instanceof Uint8Array) await fh.writeFile(body);
    else {
      let written = 0;
      const stream = body.open();
      try {
        for await (const chunk of stream) {
          // writeFile on a handle writes the whole chunk from the current position.
          await fh.writeFile(chunk as Buffer);
          written += (chunk as Buffer).length;
        }
      } finally {
        stream.destroy();
      }
      if (written !== body.size)
        throw new Error(`${path}: body stream gave ${written} of ${body.size} bytes`);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

function ignoreEnoent(err: unknown): void {
  if (errno(err) !== 'ENOENT') throw err;
}
