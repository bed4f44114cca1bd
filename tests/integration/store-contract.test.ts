import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBucket, LocalSnapshotStore } from '../../src/server/persistence/local-store.ts';
import { S3Bucket, S3SnapshotStore } from '../../src/server/persistence/s3-store.ts';
import { createTestBucket, deleteTestBucket, describeWithS3, s3StoreOptions } from '../support/s3-env.ts';
import { defineStoreContract, expectStoreError } from '../support/store-contract.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('local snapshot store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-local-store-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  defineStoreContract(
    { conditional: true, versioned: true },
    () => new LocalBucket({ dir, keepVersions: 100 }),
  );

  it('keeps only the newest keepVersions versions', async () => {
    const store = new LocalSnapshotStore({ dir, key: 'prune/app.sqlite', keepVersions: 3 });
    for (let i = 1; i <= 7; i++) await store.put(text(`v${i}`), { unconditional: true });
    const versions = await store.listVersions();
    expect(versions.map((v) => v.versionId)).toEqual(['7', '6', '5']);
    const files = await readdir(join(dir, 'prune/app.sqlite.versions'));
    expect(files.filter((f) => /^\d+$/.test(f))).toHaveLength(3);
    expect(files.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('is found again by a new store on the same directory', async () => {
    const a = new LocalSnapshotStore({ dir, key: 'reopen/app.sqlite', keepVersions: 10 });
    const put = await a.put(text('persisted'), { ifNoneMatch: '*' });
    const b = new LocalSnapshotStore({ dir, key: 'reopen/app.sqlite', keepVersions: 10 });
    expect(await b.head()).toMatchObject({ etag: put.etag, size: 9 });
    expect(await b.download(join(dir, 'reopen.bin'), { ifNoneMatch: put.etag })).toEqual({
      status: 'not-modified',
    });
  });

  describe('shared by several processes', () => {
    const key = 'multi/app.sqlite';
    let workers: Worker[] = [];
    beforeAll(() => {
      workers = [new Worker(dir, key), new Worker(dir, key), new Worker(dir, key)];
    });
    afterAll(() => {
      for (const w of workers) w.close();
    });

    it('lets exactly one process win each race from the same ETag', async () => {
      const store = new LocalSnapshotStore({ dir, key, keepVersions: 1000 });
      let current = await store.put(text('start'), { ifNoneMatch: '*' });
      for (let round = 0; round < 15; round++) {
        const replies: Reply[] = await Promise.all([
          ...workers.map((w, i) => w.send({ op: 'put', ifMatch: current.etag, body: `r${round}-w${i}` })),
          store.put(text(`r${round}-parent`), { ifMatch: current.etag }).then(
            (info) => ({ ok: true, etag: info.etag }),
            (err: { code?: string }) => ({ ok: false, code: err.code }),
          ),
        ]);
        const winners = replies.filter((r) => r.ok);
        expect(winners, JSON.stringify(replies)).toHaveLength(1);
        for (const r of replies) if (!r.ok) expect(r.code).toBe('precondition_failed');
        const head = await store.head();
        expect(head?.etag).toBe(winners[0]?.etag);
        if (head) current = head;
      }
    });

    it('loses no increment when processes read, modify and write concurrently', async () => {
      const store = new LocalSnapshotStore({ dir, key, keepVersions: 1000 });
      const start = await store.head();
      await store.put(text('0'), start ? { ifMatch: start.etag } : { ifNoneMatch: '*' });
      const times = 25;
      const replies = await Promise.all(workers.map((w) => w.send({ op: 'increment', times })));
      for (const r of replies) expect(r.ok).toBe(true);
      const dest = join(dir, 'counter.txt');
      await store.download(dest);
      expect(Number(await readFile(dest, 'utf8'))).toBe(times * workers.length);
    });
  });
});

describeWithS3('S3 snapshot store on an unversioned bucket', () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createTestBucket({ versioned: false, purpose: 'contract' });
  });
  afterAll(async () => {
    if (bucket) await deleteTestBucket(bucket);
  });

  // Ceph honours conditional puts only on unversioned buckets; on AWS a versioned bucket does both.
  defineStoreContract({ conditional: true, versioned: false }, () => new S3Bucket(s3StoreOptions(bucket)));

  it('reports unversioned objects without a version id', async () => {
    const store = new S3SnapshotStore(s3StoreOptions(bucket, { key: 'unversioned/app.sqlite' }));
    const put = await store.put(text('x'), { ifNoneMatch: '*' });
    expect(put.versionId).toBeUndefined();
    expect((await store.head())?.versionId).toBeUndefined();
  });

  it('names the bucket when it does not exist', async () => {
    const store = new S3SnapshotStore(s3StoreOptions(`${bucket}-missing`));
    for (const op of [() => store.head(), () => store.download(join(tmpdir(), 'never.bin'))]) {
      const err = await expectStoreError(op(), 'access_denied');
      expect(err.message).toContain(`bucket "${bucket}-missing" does not exist`);
    }
    await expectStoreError(store.put(text('x'), { ifNoneMatch: '*' }), 'access_denied');
  });

  it('reports refused credentials as access denied', async () => {
    const store = new S3SnapshotStore({
      ...s3StoreOptions(bucket),
      clientConfig: { credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong' } },
    });
    const err = await expectStoreError(store.head(), 'access_denied');
    expect(err.message).toContain(`bucket "${bucket}"`);
  });

  it('reports an unreachable endpoint as unavailable', async () => {
    const store = new S3SnapshotStore({
      ...s3StoreOptions(bucket),
      endpoint: 'http://127.0.0.1:9',
      readAttempts: 1,
    });
    const err = await expectStoreError(store.head(), 'unavailable');
    expect(err.message).toMatch(/ECONNREFUSED/);
    const put = await expectStoreError(store.put(text('x'), { ifNoneMatch: '*' }), 'unavailable');
    expect(put.message).toContain('may or may not have landed');
  });
});

describeWithS3('S3 snapshot store on a versioned bucket', () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createTestBucket({ versioned: true, purpose: 'contract-ver' });
  });
  afterAll(async () => {
    if (bucket) await deleteTestBucket(bucket);
  });

  defineStoreContract({ conditional: false, versioned: true }, () => new S3Bucket(s3StoreOptions(bucket)));
});

type Reply = { ok: boolean; etag?: string; code?: string; conflicts?: number };

/** A child process with its own store on the shared directory (tests/support/local-store-worker.ts). */
class Worker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  #stderr = '';

  constructor(dir: string, key: string) {
    this.#child = spawn(process.execPath, [
      join(import.meta.dirname, '../support/local-store-worker.ts'),
      dir,
      key,
    ]);
    this.#child.stderr.on('data', (d: Buffer) => {
      this.#stderr += d.toString();
    });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async send(cmd: object): Promise<Reply> {
    this.#child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const line = await this.#lines.next();
    if (line.done) throw new Error(`worker exited: ${this.#stderr}`);
    return JSON.parse(line.value) as Reply;
  }

  close(): void {
    this.#child.stdin.end();
  }
}
