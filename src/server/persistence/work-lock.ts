import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Claims a working directory for this process: two servers sharing one would replace each other's
 * files. The claim is an exclusive SQLite lock on `<dir>/.lock` — a POSIX record lock, which the
 * kernel drops when the process ends however it ends (kill -9 included), so a lock left behind can
 * never block a later start, and a reused pid can never be mistaken for a live owner.
 * Returns a function that releases it (also released by simply exiting).
 */
export function lockWorkDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, '.lock');
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of after better-sqlite3's 5 s default.
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`${dir} is in use by another server process; give each process its own CC_WORK_DIR`);
    }
    throw err;
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    try {
      db.exec('ROLLBACK');
    } finally {
      db.close();
    }
  };
}
