import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * The local working copy: one file, one writer connection and one read-only reader connection.
 *
 * WAL mode, so that a write can be committed locally first and its image then streamed from disk
 * to the store (see wal-image.ts) while the reader, pinned to the last acknowledged snapshot with
 * an open read transaction, never sees the unacknowledged commit. Checkpoints are the engine's
 * alone (`wal_autocheckpoint = 0`): before each write it folds the WAL back into the main file,
 * so during a write the main file is the whole acknowledged database, the state a failed upload
 * goes back to. `cache_spill=false` keeps a transaction's pages in memory
 * until COMMIT, so the WAL holds committed frames only. `synchronous=OFF`: the file is a cache of
 * the store, thrown away and downloaded again on every start.
 */
export interface Connections {
  writer: Db;
  reader: Db;
}

export function openConnections(path: string, configure?: (db: Db) => void): Connections {
  const writer = new Database(path);
  // First: switching a downloaded file to WAL writes its header, and with the default
  // synchronous=FULL that would fsync the whole freshly downloaded file.
  writer.pragma('synchronous = OFF');
  const mode = writer.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    writer.close();
    throw new Error(`${path}: SQLite would not use WAL mode here (journal_mode = ${String(mode)})`);
  }
  writer.pragma('wal_autocheckpoint = 0');
  writer.pragma('cache_spill = false');
  configure?.(writer);
  const reader = new Database(path, { readonly: true, fileMustExist: true });
  configure?.(reader);
  return { writer, reader };
}

/**
 * Holds the reader on the snapshot it sees now (an open read transaction) until unpinReader():
 * commits made meanwhile stay invisible to it.
 */
export function pinReader(reader: Db): void {
  if (reader.inTransaction) return;
  reader.exec('BEGIN');
  // A WAL read transaction takes its snapshot at its first read.
  reader.prepare('SELECT count(*) FROM sqlite_schema').get();
}

export function unpinReader(reader: Db): void {
  if (reader.open && reader.inTransaction) reader.exec('COMMIT');
}

/**
 * Folds every frame of the WAL into the main file and makes the next write start the WAL over from
 * its beginning (RESTART reuses the file; TRUNCATE would cost a filesystem journal transaction on
 * every write). Returns false when a reader still holds part of the WAL: it is then left as it was,
 * still consistent, and the main file alone is not the whole database.
 */
export function checkpoint(writer: Db): boolean {
  const [row] = writer.pragma('wal_checkpoint(RESTART)') as {
    busy: number;
    log: number;
    checkpointed: number;
  }[];
  return row !== undefined && row.busy === 0 && row.log === row.checkpointed;
}

export function closeConnections(c: Connections | undefined): void {
  if (!c) return;
  for (const db of [c.writer, c.reader]) {
    try {
      if (db.open) db.close();
    } catch {
      // Closing a connection that failed mid-statement must not hide the error that got us here.
    }
  }
}

/** Removes a journal or WAL left by a process that died: replayed onto a new download it would corrupt it. */
export function removeSidecars(path: string): void {
  for (const suffix of ['-journal', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

/** Runs `PRAGMA quick_check` on a file; returns null when sound, else what SQLite reported. */
export function quickCheck(path: string): string | null {
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((s) => s !== 'ok');
    return problems.length === 0 ? null : problems.slice(0, 5).join('; ');
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    db?.close();
  }
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A cheap structural check (constant time): the SQLite header is there and the file is as long as
 * the header says. Catches truncated or foreign objects without reading the whole file; the full
 * quick_check runs at cold start.
 */
export function headerCheck(path: string): string | null {
  const size = statSync(path).size;
  if (size < 100) return `${size} bytes is too short for a SQLite database`;
  const header = readHeader(path);
  if (!header.subarray(0, 16).equals(MAGIC)) return 'not a SQLite database (bad header)';
  const pageSize = pageSizeOf(header);
  const pages = header.readUInt32BE(28);
  if (pages > 0 && pageSize * pages !== size) {
    return `header says ${pages} pages of ${pageSize} bytes but the file has ${size} bytes (truncated?)`;
  }
  return null;
}

/** The 100-byte database header at the start of a SQLite file (zero-filled past a shorter file's end). */
export function readHeader(path: string): Buffer {
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  return header;
}

/** The page size a database header declares (stored as 1 for 65536). */
export function pageSizeOf(header: Buffer): number {
  const raw = header.readUInt16BE(16);
  return raw === 1 ? 65536 : raw;
}
