import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSnapshotStore } from '../../src/server/persistence/local-store.ts';
import { OperatorError, pushFile, restoreVersion } from '../../src/server/persistence/operator.ts';
import { type PutCondition, type SnapshotStore, StoreError } from '../../src/server/persistence/store.ts';

let dir: string;
let dbFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-operator-'));
  dbFile = join(dir, 'seed.sqlite');
  const d = new Database(dbFile);
  d.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);');
  d.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function localStore(): LocalSnapshotStore {
  return new LocalSnapshotStore({ dir: join(dir, 'store'), key: `k${++n}/app.sqlite`, keepVersions: 10 });
}

/** The real local store, with a hook that runs just before each put reaches it. */
function withBeforePut(
  store: SnapshotStore,
  hook: (condition: PutCondition) => Promise<void>,
): SnapshotStore {
  return {
    location: store.location,
    download: (dest, opts) => store.download(dest, opts),
    head: () => store.head(),
    listVersions: () => store.listVersions(),
    remove: () => store.remove(),
    put: async (body, condition) => {
      await hook(condition);
      return store.put(body, condition);
    },
  };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => new Error('expected a failure'),
    (e: Error) => e,
  );
}

describe('operator writes', () => {
  it('never overwrites a writer that got in between, and says so', async () => {
    const store = localStore();
    const first = await pushFile(store, { file: dbFile, force: false });
    await pushFile(store, { file: dbFile, force: false });
    const racing = withBeforePut(store, async (condition) => {
      // A server writes on the same ETag just before the restore's conditional put arrives.
      await store.put(new TextEncoder().encode('server write'), condition);
    });
    const versionId = first.current.versionId ?? '';
    const err = await failure(restoreVersion(racing, { versionId, force: false, scratchDir: dir }));
    expect(err).toBeInstanceOf(OperatorError);
    expect(err.message).toMatch(/changed while this command ran .*nothing was overwritten/);
    expect((await store.head())?.size).toBe('server write'.length);
  });

  it('tells a service that ignores conditions apart from a concurrent writer', async () => {
    const store = localStore();
    await pushFile(store, { file: dbFile, force: false });
    const before = await store.head();
    const ignoring = withBeforePut(store, async (condition) => {
      if (!('unconditional' in condition)) throw new StoreError('precondition_failed', 'refused');
    });
    const err = await failure(pushFile(ignoring, { file: dbFile, force: false }));
    expect(err).toBeInstanceOf(OperatorError);
    expect(err.message).toContain('does not honour conditional writes on this bucket');
    expect(err.message).toContain('--force');
    expect((await store.head())?.etag).toBe(before?.etag);
    const forced = await pushFile(ignoring, { file: dbFile, force: true });
    expect(forced.forced).toBe(true);
    expect(forced.current.etag).not.toBe(before?.etag);
  });
});
