import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyBytes } from '../../src/server/persistence/store.ts';
import { describeImage, readWalCommit } from '../../src/server/persistence/wal-image.ts';

const dirs: string[] = [];
const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A WAL-mode database set up as the engine's working copy is (no automatic checkpoints). */
function walDb(): { db: Database.Database; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cc-wal-'));
  dirs.push(dir);
  const path = join(dir, 'app.sqlite');
  const db = new Database(path);
  open.push(db);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('cache_spill = false');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  return { db, path };
}

const fill = (db: Database.Database, rows: number, bytes = 1000) =>
  db.transaction(() => {
    const ins = db.prepare('INSERT INTO t (v) VALUES (randomblob(?))');
    for (let i = 0; i < rows; i++) ins.run(bytes);
  })();

/** What SQLite itself says the committed database is, with the header marked as rollback-journal. */
function expected(db: Database.Database): Buffer {
  const bytes = db.serialize();
  bytes[18] = 1;
  bytes[19] = 1;
  return bytes;
}

async function image(path: string): Promise<Buffer> {
  return bodyBytes(describeImage(path));
}

function openImage(bytes: Buffer): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'cc-wal-img-'));
  dirs.push(dir);
  const file = join(dir, 'image.sqlite');
  writeFileSync(file, bytes);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  open.push(db);
  return db;
}

describe('database image from the main file and its WAL', () => {
  it('is byte for byte what SQLite has committed, spread over the main file and the WAL', async () => {
    const { db, path } = walDb();
    fill(db, 300);
    db.pragma('wal_checkpoint(TRUNCATE)');
    fill(db, 200); // grows the database past the main file: new pages exist only in the WAL
    db.prepare('UPDATE t SET v = randomblob(10) WHERE id % 7 = 0').run(); // rewrites old pages
    const wal = readWalCommit(`${path}-wal`);
    expect(wal?.frames.size).toBeGreaterThan(0);
    expect(statSync(path).size).toBeLessThan((wal?.pages ?? 0) * (wal?.pageSize ?? 0));
    const img = describeImage(path);
    const bytes = await image(path);
    expect(bytes.length).toBe(img.size);
    expect(bytes.equals(expected(db))).toBe(true);
    const copy = openImage(bytes);
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    expect(copy.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 500 });
  });

  it('is the main file alone when the WAL is empty or absent', async () => {
    const { db, path } = walDb();
    fill(db, 50);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(statSync(`${path}-wal`).size).toBe(0);
    expect(describeImage(path).walPages).toBe(0);
    expect((await image(path)).equals(expected(db))).toBe(true);
  });

  it('ignores frames after the last commit, as SQLite recovery does', async () => {
    const { db, path } = walDb();
    fill(db, 20);
    const committed = expected(db);
    const wal = readFileSync(`${path}-wal`);
    const pageSize = wal.readUInt32BE(8);
    // A leftover frame from an older WAL generation (other salts)…
    const stale = Buffer.from(wal.subarray(32, 32 + 24 + pageSize));
    stale.writeUInt32BE(stale.readUInt32BE(8) + 1, 8);
    writeFileSync(`${path}-wal`, Buffer.concat([wal, stale]));
    expect((await image(path)).equals(committed)).toBe(true);
    // …and a torn one: claims to commit, but its content no longer matches its checksum.
    const torn = Buffer.from(wal.subarray(32, 32 + 24 + pageSize));
    torn.writeUInt32BE(1, 4);
    torn[24 + 100] = (torn[24 + 100] ?? 0) ^ 0xff;
    writeFileSync(`${path}-wal`, Buffer.concat([wal, torn]));
    expect(readWalCommit(`${path}-wal`)?.frameCount).toBe((wal.length - 32) / (24 + pageSize));
    expect((await image(path)).equals(committed)).toBe(true);
  });

  it('refuses files that do not make a whole database', async () => {
    const { db, path } = walDb();
    fill(db, 300);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.prepare('UPDATE t SET v = randomblob(5) WHERE id = 1').run();
    const wal = readWalCommit(`${path}-wal`);
    truncateSync(path, (wal?.pageSize ?? 4096) * 10); // the main file lost pages the WAL does not have
    expect(() => describeImage(path)).toThrow(/page \d+ of \d+ is in neither the database file nor its WAL/);
  });
});
