import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/log.ts';
import { Replica, type ReplicaOptions } from '../../src/server/persistence/replica.ts';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import { StoreError } from '../../src/server/persistence/store.ts';
import { WorkingCopy } from '../../src/server/persistence/working-copy.ts';
import { MemoryStore } from '../support/memory-store.ts';

const dirs: string[] = [];
const engines: TestReplica[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const silent = createLogger('error', {}, () => {});

function migrateNotes(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
}

/** A replica with `start()`: open, creating the object when there is none (as the directory does). */
class TestReplica extends Replica {
  start(): Promise<void> {
    return this.open({ ifAbsent: 'create' });
  }
}

type Options = Partial<Omit<ReplicaOptions, 'kind'>> & { migrate?: (db: Db) => void };

function engine(store: MemoryStore, opts: Options = {}): TestReplica {
  return engineAt(store, opts).engine;
}

/** A replica and the path of its working copy, for tests that look at the files. */
function engineAt(store: MemoryStore, opts: Options = {}): { engine: TestReplica; dbPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cc-replica-'));
  dirs.push(dir);
  const dbPath = join(dir, 'app.sqlite');
  const { migrate = migrateNotes, ...rest } = opts;
  const e = new TestReplica({
    store,
    copy: new WorkingCopy(dbPath),
    kind: { name: 'notes', migrate },
    maxStalenessMs: 0,
    writeAttempts: 4,
    log: silent,
    ...rest,
  });
  engines.push(e);
  return { engine: e, dbPath };
}

const addNote = (body: string) => (db: Db) =>
  Number(db.prepare('INSERT INTO notes (body) VALUES (?)').run(body).lastInsertRowid);
const notes = (db: Db) =>
  (db.prepare('SELECT body FROM notes ORDER BY id').all() as { body: string }[]).map((r) => r.body);

/** The notes in the store's current object, read by a fresh SQLite connection on a copy of it. */
function objectNotes(store: MemoryStore): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cc-object-'));
  dirs.push(dir);
  const file = join(dir, 'object.sqlite');
  writeFileSync(file, store.current?.body ?? Buffer.alloc(0));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    return notes(db);
  } finally {
    db.close();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('replica: cold start', () => {
  it('creates the first database and uploads it once, with If-None-Match', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    expect(e.state).toBe('starting');
    await e.start();
    expect(e.state).toBe('ready');
    expect(store.versions).toHaveLength(1);
    expect(e.read(notes)).toEqual([]);
    expect(e.object?.etag).toBe(store.current?.info.etag);
  });

  it('restores an existing object and uploads nothing when no migration ran', async () => {
    const store = new MemoryStore();
    const first = engine(store);
    await first.start();
    await first.write(addNote('kept'));
    const puts = store.puts;
    const second = engine(store);
    await second.start();
    expect(second.read(notes)).toEqual(['kept']);
    expect(store.puts).toBe(puts);
  });

  it('uploads a migrated database when a migration changed it', async () => {
    const store = new MemoryStore();
    await engine(store).start();
    const puts = store.puts;
    const upgraded = engine(store, {
      migrate: (db) => {
        migrateNotes(db);
        db.exec('CREATE TABLE IF NOT EXISTS tags (name TEXT)');
      },
    });
    await upgraded.start();
    expect(store.puts).toBe(puts + 1);
  });

  it('refuses a corrupt object, naming the version, instead of starting empty', async () => {
    const store = new MemoryStore();
    const bad = store.putUnconditionally(Buffer.from('this is not a database'.repeat(20)));
    const e = engine(store);
    await expect(e.start()).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringContaining(bad.versionId),
    });
    expect(e.state).toBe('failed');
    expect(() => e.read(notes)).toThrow(/database unavailable/);
    expect(store.versions).toHaveLength(1);
  });

  it('stops on a failing migration without uploading anything', async () => {
    const store = new MemoryStore();
    const e = engine(store, {
      migrate: () => {
        throw new Error('bad migration');
      },
    });
    await expect(e.start()).rejects.toThrow('bad migration');
    expect(store.versions).toHaveLength(0);
  });

  it('retries a store that is briefly unreachable at start', async () => {
    const store = new MemoryStore();
    let failures = 2;
    store.beforeDownload = () => {
      if (failures-- > 0) throw new StoreError('unavailable', 'memory: down');
    };
    const e = engine(store);
    await e.start();
    expect(e.state).toBe('ready');
  });

  it('lets two instances race to create the first database and ends with one', async () => {
    const store = new MemoryStore();
    const a = engine(store);
    const b = engine(store);
    await Promise.all([a.start(), b.start()]);
    expect(store.versions).toHaveLength(1);
    expect(a.object?.etag).toBe(b.object?.etag);
  });
});

describe('replica: writes', () => {
  it('acknowledges a write only once the store has it, and readers never see it before', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    const gate = deferred();
    store.beforePut = () => gate.promise;
    let acked = false;
    const write = e.write(addNote('pending')).then(() => {
      acked = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(acked).toBe(false);
    expect(e.read(notes)).toEqual([]);
    gate.resolve();
    await write;
    expect(e.read(notes)).toEqual(['pending']);
    expect(store.versions).toHaveLength(2);
  });

  it('rolls back and answers unavailable when the upload fails, then recovers', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    store.beforePut = () => {
      throw new StoreError('unavailable', 'memory: connection reset');
    };
    await expect(e.write(addNote('lost'))).rejects.toMatchObject({
      name: 'PersistenceError',
      code: 'unavailable',
    });
    expect(e.read(notes)).toEqual([]);
    store.beforePut = () => {};
    await e.write(addNote('saved'));
    expect(e.read(notes)).toEqual(['saved']);
    // The failed change is gone from the working copy too, not just hidden from readers.
    expect(objectNotes(store)).toEqual(['saved']);
  });

  it('replaces the working copy from the store when a failed change cannot be undone locally', async () => {
    const store = new MemoryStore();
    const { engine: e, dbPath } = engineAt(store);
    await e.start();
    await e.write(addNote('kept'));
    store.beforePut = () => {
      throw new StoreError('unavailable', 'memory: connection reset');
    };
    // Disk trouble: the undo's copy of the acknowledged file cannot be written.
    mkdirSync(`${dbPath}.next`);
    writeFileSync(join(`${dbPath}.next`, 'in the way'), '');
    await expect(e.write(addNote('lost'))).rejects.toMatchObject({ code: 'unavailable' });
    expect(e.read(notes)).toEqual(['kept']);
    let attempts = 0;
    store.beforePut = () => {
      attempts++;
    };
    const downloads = store.downloads;
    await e.write(addNote('saved'));
    // One download of the store's object, then one upload: no attempt from the tainted copy.
    expect(store.downloads).toBe(downloads + 1);
    expect(attempts).toBe(1);
    expect(objectNotes(store)).toEqual(['kept', 'saved']);
    expect(e.read(notes)).toEqual(['kept', 'saved']);
  });

  it('uploads a complete, plain SQLite file (rollback-journal header, no sidecars needed)', async () => {
    const store = new MemoryStore();
    const { engine: e, dbPath } = engineAt(store);
    await e.start();
    for (let i = 0; i < 50; i++) await e.write(addNote(`note ${i} ${'x'.repeat(500)}`));
    // Each write starts the WAL over: it holds one transaction's pages, not the history.
    expect(statSync(`${dbPath}-wal`).size).toBeLessThan(16 * 4096);
    const body = store.current?.body ?? Buffer.alloc(0);
    expect([body[18], body[19]]).toEqual([1, 1]);
    expect(body.length).toBe(body.readUInt16BE(16) * body.readUInt32BE(28));
    expect(objectNotes(store)).toHaveLength(50);
  });

  it('uploads nothing for a write that changes nothing', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    const puts = store.puts;
    const n = await e.write((db) => (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n);
    expect(n).toBe(0);
    expect(store.puts).toBe(puts);
  });

  it('re-applies a write on the newer version when another instance wrote first', async () => {
    const store = new MemoryStore();
    const a = engine(store);
    const b = engine(store);
    await a.start();
    await b.start();
    await b.write(addNote('from b'));
    await a.write(addNote('from a'));
    expect(a.stats.conflicts).toBe(1);
    expect(a.read(notes)).toEqual(['from b', 'from a']);
    await b.ensureFresh();
    expect(b.read(notes)).toEqual(['from b', 'from a']);
  });

  it('answers contention after the configured attempts when it keeps losing', async () => {
    const store = new MemoryStore();
    const e = engine(store, { writeAttempts: 3 });
    await e.start();
    const rival = Buffer.from(store.current?.body ?? []);
    store.beforePut = () => {
      store.putUnconditionally(rival);
    };
    await expect(e.write(addNote('never'))).rejects.toMatchObject({
      code: 'contention',
      retryAfterSeconds: 1,
    });
    expect(e.stats.conflicts).toBe(3);
  });

  it('groups writes queued during an upload into one upload', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    const gate = deferred();
    store.beforePut = () => gate.promise;
    const first = e.write(addNote('1'));
    await new Promise((r) => setTimeout(r, 5));
    const rest = ['2', '3', '4', '5'].map((n) => e.write(addNote(n)));
    const puts = store.puts;
    gate.resolve();
    store.beforePut = () => {};
    await Promise.all([first, ...rest]);
    expect(store.puts - puts).toBe(2);
    expect(e.read(notes)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('rolls back only the write that threw in a batch', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    const results = await Promise.allSettled([
      e.write(addNote('ok 1')),
      e.write((db) => {
        addNote('half')(db);
        throw new Error('domain says no');
      }),
      e.write(addNote('ok 2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(e.read(notes)).toEqual(['ok 1', 'ok 2']);
  });
});

describe('replica: reads', () => {
  it('sees a write acknowledged by another instance on the next request', async () => {
    const store = new MemoryStore();
    const a = engine(store);
    const b = engine(store);
    await Promise.all([a.start(), b.start()]);
    await b.write(addNote('elsewhere'));
    await a.ensureFresh();
    expect(a.read(notes)).toEqual(['elsewhere']);
  });

  it('shares one conditional download among concurrent requests', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    const before = store.conditionalDownloads;
    await Promise.all(Array.from({ length: 20 }, () => e.ensureFresh()));
    expect(store.conditionalDownloads - before).toBeLessThanOrEqual(2);
    expect(store.conditionalDownloads - before).toBeGreaterThanOrEqual(1);
  });

  it('trusts a recent check within the allowed staleness', async () => {
    const store = new MemoryStore();
    const e = engine(store, { maxStalenessMs: 60_000 });
    await e.start();
    const before = store.conditionalDownloads;
    await e.ensureFresh();
    await e.ensureFresh();
    expect(store.conditionalDownloads).toBe(before);
  });

  it('refuses to serve before the restore finished', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await expect(e.ensureFresh()).rejects.toMatchObject({ code: 'not_ready' });
    await expect(e.write(addNote('x'))).rejects.toMatchObject({ code: 'not_ready' });
  });

  it('keeps serving the last good copy when a newer object is damaged, refuses writes, and recovers', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    await e.write(addNote('good'));
    const good = Buffer.from(store.current?.body ?? []);
    // Damaged pages in a real database file: the header is fine, the b-tree is not.
    const bad = Buffer.from(good);
    bad.fill(0xab, 4096 + 8, 4096 + 400);
    const badVersion = store.putUnconditionally(bad);
    await e.ensureFresh();
    expect(e.read(notes)).toEqual(['good']);
    expect(e.degraded).toContain(badVersion.versionId);
    await expect(e.write(addNote('refused'))).rejects.toMatchObject({ code: 'corrupt' });
    // While the damaged version stays current, a request costs a 304, not a download.
    const downloads = store.downloads;
    await e.ensureFresh();
    expect(store.downloads).toBe(downloads);
    // An operator restores a good version: the next request picks it up and writes work again.
    store.putUnconditionally(good);
    await e.ensureFresh();
    expect(e.degraded).toBeUndefined();
    await e.write(addNote('after restore'));
    expect(objectNotes(store)).toEqual(['good', 'after restore']);
  });

  it('never writes through the read connection', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    expect(() => e.read(addNote('sneaky'))).toThrow(/readonly/i);
  });
});

describe('replica: what counts as a change', () => {
  it('uploads nothing when the only job that modified rows threw', async () => {
    const store = new MemoryStore();
    const e = engine(store);
    await e.start();
    const puts = store.puts;
    const results = await Promise.allSettled([
      e.write((db) => {
        addNote('half')(db);
        throw new Error('domain says no');
      }),
      e.write(notes),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(store.puts).toBe(puts);
  });
});
