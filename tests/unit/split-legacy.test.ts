import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { legacyWorkspaceId, splitLegacy } from '../../src/server/db/split-legacy.ts';
import { createLogger } from '../../src/server/log.ts';
import { StoreError } from '../../src/server/persistence/store.ts';
import { MemoryBucket } from '../support/memory-store.ts';

/** A database written by the last release before workspaces (see tests/fixtures/README.md). */
const FIXTURE = readFileSync(new URL('../fixtures/legacy-release.sqlite', import.meta.url));
const SEED = (() => {
  const db = new Database(FIXTURE);
  try {
    return (db.prepare("SELECT value FROM meta WHERE key = 'session_key'").get() as { value: string }).value;
  } finally {
    db.close();
  }
})();

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const silent = createLogger('error', {}, () => {});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'cc-split-'));
  dirs.push(d);
  return d;
}

function bucketWithLegacy(bytes: Buffer = FIXTURE): MemoryBucket {
  const bucket = new MemoryBucket();
  bucket.object('app/app.sqlite').putUnconditionally(bytes);
  return bucket;
}

const split = (bucket: MemoryBucket) =>
  splitLegacy({ bucket, legacyKey: 'app/app.sqlite', prefix: 'app/', scratchDir: scratch(), log: silent });

function open(bytes: Buffer | undefined): Database.Database {
  if (!bytes) throw new Error('no object');
  return new Database(bytes);
}

describe('splitting the single database of earlier releases', () => {
  it('puts each account in the directory and its projects and tasks in a personal workspace', async () => {
    const bucket = bucketWithLegacy();
    const file = await split(bucket);
    expect(file).not.toBeNull();
    const directory = new Database(file as string, { readonly: true });
    const users = directory
      .prepare('SELECT id, email, personal_workspace_id AS ws FROM users ORDER BY id')
      .all() as { id: number; email: string; ws: string }[];
    expect(users.map((u) => u.email)).toEqual(['ada@example.com', 'bob@example.com', 'cy@example.com']);
    for (const u of users) {
      expect(u.ws).toBe(legacyWorkspaceId(SEED, u.id));
      expect(u.ws).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(
        directory
          .prepare('SELECT role FROM memberships WHERE workspace_id = ? AND user_id = ?')
          .get(u.ws, u.id),
      ).toEqual({ role: 'owner' });
    }
    const legacy = open(FIXTURE);
    const hash = (id: number) =>
      (legacy.prepare('SELECT password_hash AS h FROM users WHERE id = ?').get(id) as { h: string }).h;
    expect(
      (directory.prepare('SELECT password_hash AS h FROM users WHERE id = 1').get() as { h: string }).h,
    ).toBe(hash(1));
    directory.close();

    const ada = open(bucket.object(`app/workspaces/${users[0]?.ws}.sqlite`).current?.body);
    expect(ada.prepare('SELECT name, is_inbox FROM projects ORDER BY id').all()).toEqual([
      { name: 'Inbox', is_inbox: 1 },
      { name: 'Garden', is_inbox: 0 },
    ]);
    const tasks = ada
      .prepare(
        'SELECT t.id, t.title, t.status, p.name AS project, t.created_by FROM tasks t JOIN projects p ON p.id = t.project_id ORDER BY t.id',
      )
      .all();
    expect(tasks).toEqual([
      { id: 1, title: 'Plant tulips', status: 'todo', project: 'Garden', created_by: 1 },
      { id: 2, title: 'Call the plumber', status: 'doing', project: 'Inbox', created_by: 1 },
      { id: 3, title: 'Read a book', status: 'done', project: 'Inbox', created_by: 1 },
    ]);
    expect(ada.prepare("SELECT value FROM meta WHERE key = 'kind'").get()).toEqual({ value: 'workspace' });
    ada.close();
    const bob = open(bucket.object(`app/workspaces/${users[1]?.ws}.sqlite`).current?.body);
    expect(bob.prepare('SELECT title FROM tasks').all()).toEqual([{ title: 'Bob’s only task' }]);
    bob.close();
    const cy = open(bucket.object(`app/workspaces/${users[2]?.ws}.sqlite`).current?.body);
    expect(cy.prepare('SELECT count(*) AS n FROM tasks').get()).toEqual({ n: 0 });
    expect(cy.prepare('SELECT name FROM projects').all()).toEqual([{ name: 'Inbox' }]);
    cy.close();
    legacy.close();
    // The old object is never changed.
    expect(bucket.object('app/app.sqlite').versions).toHaveLength(1);
  });

  it('finishes a split that crashed half-way, and gives every instance the same ids', async () => {
    const bucket = bucketWithLegacy();
    let puts = 0;
    // The first attempt dies after its first workspace object landed.
    const original = bucket.object.bind(bucket);
    bucket.object = (key: string) => {
      const store = original(key);
      if (key.includes('/workspaces/')) {
        store.beforePut = () => {
          if (++puts > 1) throw new StoreError('unavailable', 'memory: the instance died');
        };
      }
      return store;
    };
    await expect(split(bucket)).rejects.toThrow(/died/);
    const landed = [...bucket.stores.entries()].filter(([k, s]) => k.includes('/workspaces/') && s.current);
    expect(landed).toHaveLength(1);
    bucket.object = original;
    for (const [, s] of bucket.stores) s.beforePut = () => {};
    const again = await split(bucket);
    const third = await split(bucket);
    const ids = (file: string | null) =>
      (
        new Database(file as string, { readonly: true })
          .prepare('SELECT personal_workspace_id AS w FROM users')
          .all() as { w: string }[]
      ).map((r) => r.w);
    expect(ids(again)).toEqual(ids(third));
    const workspaces = [...bucket.stores.entries()].filter(
      ([k, s]) => k.includes('/workspaces/') && s.current,
    );
    expect(workspaces).toHaveLength(3);
    // The object that landed in the crashed attempt was not written again.
    expect(landed[0]?.[1].versions).toHaveLength(1);
  });

  it('replaces a workspace object a crashed split made from an older version of the old database', async () => {
    const bucket = bucketWithLegacy();
    await split(bucket);
    // The old release wrote again (a new version of the old object) before the directory was made.
    const newer = Buffer.from(FIXTURE);
    const db = open(newer);
    db.prepare("UPDATE tasks SET title = 'Plant more tulips' WHERE id = 1").run();
    const bytes = db.serialize();
    db.close();
    bucket.object('app/app.sqlite').putUnconditionally(Buffer.from(bytes));
    await split(bucket);
    const ada = open(bucket.object(`app/workspaces/${legacyWorkspaceId(SEED, 1)}.sqlite`).current?.body);
    expect(ada.prepare('SELECT title FROM tasks WHERE id = 1').get()).toEqual({ title: 'Plant more tulips' });
    ada.close();
  });

  it('does nothing without an old database', async () => {
    expect(await split(new MemoryBucket())).toBeNull();
  });

  it('refuses a damaged old database, naming it, instead of splitting nothing', async () => {
    const damaged = Buffer.from(FIXTURE);
    damaged.fill(0x41, 4096 + 8, 4096 + 300);
    await expect(split(bucketWithLegacy(damaged))).rejects.toThrow(/app\/app\.sqlite.*cannot be split/);
  });
});
