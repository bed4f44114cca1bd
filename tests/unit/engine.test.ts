import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/log.ts';
import { Engine, type EngineOptions } from '../../src/server/persistence/engine.ts';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import { MemoryBucket } from '../support/memory-store.ts';

const dirs: string[] = [];
const engines: Engine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const silent = createLogger('error', {}, () => {});

const directoryKind = {
  name: 'directory',
  migrate: (db: Db) => db.exec('CREATE TABLE IF NOT EXISTS people (name TEXT NOT NULL)'),
};
const workspaceKind = {
  name: 'workspace',
  migrate: (db: Db) =>
    db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'),
};

function engine(bucket: MemoryBucket, opts: Partial<EngineOptions> = {}): Engine {
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'cc-engine-'));
  dirs.push(workDir);
  const e = new Engine({
    bucket,
    prefix: 'app/',
    workDir,
    maxOpenWorkspaces: 100,
    maxLocalBytes: 1 << 30,
    maxStalenessMs: 0,
    writeAttempts: 4,
    directoryKind,
    workspaceKind,
    log: silent,
    ...opts,
  });
  engines.push(e);
  return e;
}

const addNote = (body: string) => (db: Db) => db.prepare('INSERT INTO notes (body) VALUES (?)').run(body);
const notes = (db: Db) =>
  (db.prepare('SELECT body FROM notes ORDER BY id').all() as { body: string }[]).map((r) => r.body);
const ID = (n: number) => `workspace-${String(n).padStart(4, '0')}`;

async function withWorkspace<T>(
  e: Engine,
  id: string,
  fn: (lease: Awaited<ReturnType<Engine['workspace']>>) => Promise<T> | T,
): Promise<T> {
  const lease = await e.workspace(id);
  try {
    return await fn(lease);
  } finally {
    lease.release();
  }
}

describe('engine: many objects', () => {
  it('restores only the directory at start, whatever workspaces exist', async () => {
    const bucket = new MemoryBucket();
    const first = engine(bucket);
    await first.start();
    for (let i = 0; i < 5; i++) (await first.createWorkspace(ID(i), addNote(`ws ${i}`))).release();
    const second = engine(bucket);
    await second.start();
    const workspaceDownloads = [...bucket.stores.entries()]
      .filter(([key]) => key.startsWith('app/workspaces/'))
      .reduce((n, [, s]) => n + s.downloads, 0);
    expect(workspaceDownloads).toBe(0);
    expect(second.usage().openWorkspaces).toBe(0);
    expect([...bucket.stores.keys()].sort()).toEqual([
      'app/directory.sqlite',
      ...Array.from({ length: 5 }, (_, i) => `app/workspaces/${ID(i)}.sqlite`),
    ]);
  });

  it('opens a workspace on first use, once for concurrent requests, and keeps writes per object', async () => {
    const bucket = new MemoryBucket();
    const a = engine(bucket);
    await a.start();
    (await a.createWorkspace(ID(1), addNote('one'))).release();
    (await a.createWorkspace(ID(2), addNote('two'))).release();
    const b = engine(bucket);
    await b.start();
    const leases = await Promise.all(Array.from({ length: 5 }, () => b.workspace(ID(1))));
    expect(bucket.object(`app/workspaces/${ID(1)}.sqlite`).downloads).toBe(1); // b's one open
    expect(leases.map((l) => l.replica.read(notes))).toEqual(Array(5).fill(['one']));
    await leases[0]?.replica.write(addNote('more'));
    for (const l of leases) l.release();
    await withWorkspace(a, ID(1), async (l) => {
      await l.replica.ensureFresh();
      expect(l.replica.read(notes)).toEqual(['one', 'more']);
    });
    await withWorkspace(a, ID(2), (l) => expect(l.replica.read(notes)).toEqual(['two']));
    expect(bucket.object('app/directory.sqlite').puts).toBe(1);
  });

  it('answers gone for a workspace that does not exist, and creates nothing', async () => {
    const bucket = new MemoryBucket();
    const e = engine(bucket);
    await e.start();
    await expect(e.workspace(ID(9))).rejects.toMatchObject({ name: 'PersistenceError', code: 'gone' });
    expect(bucket.object(`app/workspaces/${ID(9)}.sqlite`).versions).toHaveLength(0);
    expect(e.usage().openWorkspaces).toBe(0);
  });

  it('refuses ids that are not workspace ids before touching a path or a key', async () => {
    const e = engine(new MemoryBucket());
    await e.start();
    await expect(e.workspace('../directory')).rejects.toThrow(/not a workspace id/);
  });

  it('closes and deletes the least recently used idle copies past the bound on open copies', async () => {
    const bucket = new MemoryBucket();
    const e = engine(bucket, { maxOpenWorkspaces: 2 });
    await e.start();
    for (let i = 1; i <= 3; i++) (await e.createWorkspace(ID(i), addNote(`n${i}`))).release();
    expect(e.usage().openWorkspaces).toBe(2);
    const workDir = dirs.at(-1) as string;
    expect(existsSync(join(workDir, 'workspaces', `${ID(1)}.sqlite`))).toBe(false);
    expect(existsSync(join(workDir, 'workspaces', `${ID(3)}.sqlite`))).toBe(true);
    // Closed copies come back on their next use.
    await withWorkspace(e, ID(1), (l) => expect(l.replica.read(notes)).toEqual(['n1']));
  });

  it('never closes a copy a request holds, nor one with a write in flight', async () => {
    const bucket = new MemoryBucket();
    const e = engine(bucket, { maxOpenWorkspaces: 1 });
    await e.start();
    (await e.createWorkspace(ID(1), addNote('a'))).release();
    (await e.createWorkspace(ID(2), addNote('b'))).release();
    const held = await e.workspace(ID(1));
    let gate!: () => void;
    const store = bucket.object(`app/workspaces/${ID(1)}.sqlite`);
    store.beforePut = () => new Promise<void>((r) => (gate = r));
    const write = held.replica.write(addNote('in flight'));
    held.release();
    await new Promise((r) => setTimeout(r, 10));
    const other = await e.workspace(ID(2));
    other.release();
    expect(held.replica.state).toBe('ready');
    gate();
    await write;
    store.beforePut = () => {};
    expect(held.replica.read(notes)).toEqual(['a', 'in flight']);
  });

  it('keeps local copies under the byte bound', async () => {
    const bucket = new MemoryBucket();
    const e = engine(bucket, { maxLocalBytes: 0 });
    await e.start();
    for (let i = 1; i <= 4; i++) (await e.createWorkspace(ID(i), addNote('x'.repeat(20_000)))).release();
    // Nothing idle can stay when the bound is 0; the directory is never closed.
    expect(e.usage().openWorkspaces).toBe(0);
    expect(e.directory.state).toBe('ready');
  });

  it('deletes a workspace object; another instance then finds it gone', async () => {
    const bucket = new MemoryBucket();
    const a = engine(bucket);
    const b = engine(bucket);
    await Promise.all([a.start(), b.start()]);
    (await a.createWorkspace(ID(1), addNote('doomed'))).release();
    const onB = await b.workspace(ID(1));
    onB.release();
    await a.deleteWorkspace(ID(1));
    await expect(a.workspace(ID(1))).rejects.toMatchObject({ code: 'gone' });
    await expect(onB.replica.ensureFresh()).rejects.toMatchObject({ code: 'gone' });
    // The versions stay for the operator.
    expect(bucket.object(`app/workspaces/${ID(1)}.sqlite`).versions.length).toBeGreaterThan(0);
  });
});

describe('engine: the working directory', () => {
  it('refuses a working directory another live engine holds', async () => {
    const bucket = new MemoryBucket();
    const first = engine(bucket);
    await first.start();
    const second = engine(bucket, { workDir: dirs.at(-1) });
    await expect(second.start()).rejects.toThrow(/in use by another server process.*CC_WORK_DIR/);
    expect(second.state).toBe('failed');
  });

  it('starts over a lock left by a process killed with SIGKILL', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'cc-engine-lock-'));
    dirs.push(workDir);
    const lockModule = new URL('../../src/server/persistence/work-lock.ts', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { lockWorkDir } = await import(${JSON.stringify(lockModule)}); globalThis.unlock = lockWorkDir(${JSON.stringify(workDir)}); console.log('locked'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
      const blocked = engine(new MemoryBucket(), { workDir });
      await expect(blocked.start()).rejects.toThrow(/in use/);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const e = engine(new MemoryBucket(), { workDir });
    await e.start();
    expect(e.state).toBe('ready');
  });
});
