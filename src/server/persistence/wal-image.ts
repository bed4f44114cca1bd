import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pageSizeOf, readHeader } from './sqlite-file.ts';

/**
 * The database image as of the last commit in the write-ahead log, produced straight from disk: the
 * main file's pages with the WAL's newer copies laid over them (the WAL format is SQLite's
 * documented on-disk format: https://sqlite.org/fileformat2.html#walformat).
 *
 * This is what lets the engine upload a write without first copying the whole database into memory
 * (`sqlite3_serialize` of a 100 MB file costs 100+ ms before the first byte leaves): the image is
 * streamed in 1 MiB chunks while it is read, and nothing but the transaction's own pages is parsed.
 *
 * The image's header says "rollback journal" (bytes 18–19 = 1): the object in the store is a plain
 * SQLite file that any tool opens without -wal/-shm sidecars, whatever journal mode this copy uses
 * (the engine switches each copy it opens to WAL itself).
 */
export interface DatabaseImage {
  /** Exact length of the image in bytes. */
  readonly size: number;
  /** Database pages in the image. */
  readonly pages: number;
  readonly pageSize: number;
  /** Pages taken from the WAL rather than the main file. */
  readonly walPages: number;
  /** A new stream of the image's bytes (each call reads the files again). */
  open(): Readable;
}

const WAL_HEADER = 32;
const FRAME_HEADER = 24;
const CHUNK_BYTES = 1024 * 1024;

/**
 * Describes the image of `dbPath` as of the last valid commit frame in `dbPath-wal` (or of the main
 * file alone when the WAL is empty or absent). Throws when the files do not form a database, so that
 * nothing unsound is ever uploaded. The files must not change until the image has been read: the
 * engine holds its write lock and pins readers meanwhile, and never checkpoints during an upload.
 */
export function describeImage(dbPath: string): DatabaseImage {
  const wal = readWalCommit(`${dbPath}-wal`);
  const dbBytes = fileSize(dbPath);
  let pageSize: number;
  let pages: number;
  if (wal) {
    pageSize = wal.pageSize;
    pages = wal.pages;
  } else {
    pageSize = mainFilePageSize(dbPath, dbBytes);
    pages = dbBytes / pageSize;
  }
  const onDisk = Math.floor(dbBytes / pageSize);
  // Every page must come from somewhere: pages past the end of the main file only exist in the WAL.
  for (let p = onDisk + 1; p <= pages; p++) {
    if (!wal?.frames.has(p)) {
      throw new Error(`${dbPath}: page ${p} of ${pages} is in neither the database file nor its WAL`);
    }
  }
  const overlay = [...(wal?.frames ?? new Map<number, number>())]
    .filter(([pgno]) => pgno <= pages)
    .sort((a, b) => a[0] - b[0]);
  return {
    size: pages * pageSize,
    pages,
    pageSize,
    walPages: overlay.length,
    open: () => Readable.from(imageChunks(dbPath, pageSize, pages, overlay), { objectMode: false }),
  };
}

/**
 * The image in chunks, read with plain synchronous reads: the files are in the page cache (SQLite
 * just wrote them), so a 1 MiB read takes a fraction of a millisecond, and the stream asks for the
 * next chunk only as the upload drains — no thread-pool round trips on the write path.
 */
function* imageChunks(
  dbPath: string,
  pageSize: number,
  pages: number,
  overlay: [pgno: number, walOffset: number][],
): Generator<Buffer> {
  const db = openSync(dbPath, 'r');
  let wal: number | undefined;
  try {
    wal = overlay.length > 0 ? openSync(`${dbPath}-wal`, 'r') : undefined;
    const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / pageSize));
    let next = 0; // index into overlay
    for (let first = 1; first <= pages; first += perChunk) {
      const count = Math.min(perChunk, pages - first + 1);
      const buf = Buffer.allocUnsafe(count * pageSize);
      const filled = readUpTo(db, buf, (first - 1) * pageSize);
      // Past the end of the main file: pages the WAL supplies (checked in describeImage).
      buf.fill(0, filled);
      const last = first + count - 1;
      while (next < overlay.length && (overlay[next] as [number, number])[0] <= last) {
        const [pgno, walOffset] = overlay[next] as [number, number];
        const page = buf.subarray((pgno - first) * pageSize, (pgno - first + 1) * pageSize);
        if (readUpTo(wal as number, page, walOffset) !== pageSize) {
          throw new Error(`${dbPath}-wal: short read of page ${pgno}`);
        }
        next++;
      }
      if (first === 1) {
        buf[18] = 1; // file format write version: legacy (rollback journal)
        buf[19] = 1; // file format read version
      }
      yield buf;
    }
  } finally {
    closeSync(db);
    if (wal !== undefined) closeSync(wal);
  }
}

/** Reads into `buf` from `position` until it is full or the file ends; returns the bytes read. */
function readUpTo(fd: number, buf: Buffer, position: number): number {
  let filled = 0;
  while (filled < buf.length) {
    const n = readSync(fd, buf, filled, buf.length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

export interface WalCommit {
  pageSize: number;
  /** Database size in pages after the last commit. */
  pages: number;
  /** Page number → offset of that page's newest committed copy in the WAL file. */
  frames: Map<number, number>;
  /** Valid frames up to and including the last commit frame. */
  frameCount: number;
}

/**
 * Parses a WAL file the way SQLite's recovery does: frames count only while their salts match the
 * header and their cumulative checksums hold, and only up to the last commit frame. Returns null
 * when there is no committed frame (no file, empty file, or a header SQLite would ignore).
 */
export function readWalCommit(walPath: string): WalCommit | null {
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = statSync(walPath).size;
    if (size < WAL_HEADER) return null;
    const header = Buffer.alloc(WAL_HEADER);
    readFully(fd, header, 0);
    const magic = header.readUInt32BE(0);
    if (magic !== 0x377f0682 && magic !== 0x377f0683) return null;
    const bigEndian = (magic & 1) === 1;
    const pageSize = header.readUInt32BE(8); // a plain 32-bit number here, 65536 included
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    let sum = checksum(header.subarray(0, 24), bigEndian, [0, 0]);
    if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return null;

    const frameBytes = FRAME_HEADER + pageSize;
    const frame = Buffer.alloc(frameBytes);
    const pending = new Map<number, number>();
    const frames = new Map<number, number>();
    let pages = 0;
    let frameCount = 0;
    for (let i = 0, offset = WAL_HEADER; offset + frameBytes <= size; i++, offset += frameBytes) {
      readFully(fd, frame, offset);
      if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2) break;
      sum = checksum(frame.subarray(0, 8), bigEndian, sum);
      sum = checksum(frame.subarray(FRAME_HEADER), bigEndian, sum);
      if (sum[0] !== frame.readUInt32BE(16) || sum[1] !== frame.readUInt32BE(20)) break;
      pending.set(frame.readUInt32BE(0), offset + FRAME_HEADER);
      const commitPages = frame.readUInt32BE(4);
      if (commitPages > 0) {
        for (const [pgno, at] of pending) frames.set(pgno, at);
        pending.clear();
        pages = commitPages;
        frameCount = i + 1;
      }
    }
    return frameCount === 0 ? null : { pageSize, pages, frames, frameCount };
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum: two 32-bit sums over pairs of words, continued from `seed`. */
function checksum(data: Buffer, bigEndian: boolean, seed: [number, number]): [number, number] {
  let s0 = seed[0];
  let s1 = seed[1];
  for (let i = 0; i < data.length; i += 8) {
    const a = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const b = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + a + s1) >>> 0;
    s1 = (s1 + b + s0) >>> 0;
  }
  return [s0, s1];
}

function mainFilePageSize(dbPath: string, bytes: number): number {
  if (bytes < 100) throw new Error(`${dbPath}: ${bytes} bytes is too short for a SQLite database`);
  const pageSize = pageSizeOf(readHeader(dbPath));
  if (pageSize < 512 || bytes % pageSize !== 0) {
    throw new Error(`${dbPath}: ${bytes} bytes is not a whole number of ${pageSize}-byte pages`);
  }
  return pageSize;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

function readFully(fd: number, buf: Buffer, position: number): void {
  const n = readUpTo(fd, buf, position);
  if (n < buf.length) throw new Error(`unexpected end of file at byte ${position + n}`);
}
