import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bucket, isStoreError } from '../../src/server/persistence/store.ts';

/** What the contract suite runs against. */
export interface ContractCapabilities {
  /** Conditional puts are honoured (false for Ceph's versioned buckets, which break them). */
  conditional: boolean;
  /** Versions are kept: listing and downloading old versions can be tested. */
  versioned: boolean;
}

const text = (s: string) => new TextEncoder().encode(s);

/** Asserts a promise rejects with a StoreError of this code; returns the error for further checks. */
export async function expectStoreError(p: Promise<unknown>, code: string): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a StoreError ${code}`).toBeDefined();
  expect(isStoreError(err) ? err.code : err).toBe(code);
  return err as Error;
}

/**
 * The snapshot-store and bucket contract (src/server/persistence/store.ts), as one suite every
 * implementation passes — the in-memory test store included, so a test double cannot drift from the
 * real stores. Call inside a `describe`; `opener` is called in beforeAll, after the caller's setup ran.
 * Each test works under keys of its own, so tests never see each other's objects.
 */
export function defineStoreContract(caps: ContractCapabilities, opener: () => Bucket): void {
  let bucket: Bucket;
  let work: string;
  let n = 0;
  const freshPrefix = () => `contract/${++n}-${randomBytes(3).toString('hex')}/`;
  const freshStore = () => bucket.object(`${freshPrefix()}app.sqlite`);
  const read = (path: string) => readFile(path, 'utf8');

  beforeAll(async () => {
    bucket = opener();
    work = await mkdtemp(join(tmpdir(), 'cc-contract-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe.skipIf(!caps.conditional)('conditional writes', () => {
    it('reports an object that was never written as absent', async () => {
      const store = freshStore();
      expect(await store.head()).toBeNull();
      const dest = join(work, 'absent.bin');
      expect(await store.download(dest)).toEqual({ status: 'absent' });
      await expect(stat(dest)).rejects.toThrow();
    });

    it('creates the first object with ifNoneMatch and refuses a second creation', async () => {
      const store = freshStore();
      const first = await store.put(text('first'), { ifNoneMatch: '*' });
      expect(first.size).toBe(5);
      const err = await expectStoreError(
        store.put(text('second'), { ifNoneMatch: '*' }),
        'precondition_failed',
      );
      expect(err.message).toMatch(/precondition failed/);
      const dest = join(work, 'created.bin');
      const got = await store.download(dest);
      expect(got).toMatchObject({ status: 'ok', etag: first.etag, size: 5 });
      expect(await read(dest)).toBe('first');
    });

    it('accepts a put on the current ETag and rejects one whose ETag is stale', async () => {
      const store = freshStore();
      const a = await store.put(text('a'), { ifNoneMatch: '*' });
      const b = await store.put(text('bb'), { ifMatch: a.etag });
      expect(b.etag).not.toBe(a.etag);
      const err = await expectStoreError(store.put(text('ccc'), { ifMatch: a.etag }), 'precondition_failed');
      expect(err.message).toContain('precondition failed');
      expect((await store.head())?.etag).toBe(b.etag);
      const dest = join(work, 'stale.bin');
      await store.download(dest);
      expect(await read(dest)).toBe('bb');
    });

    it('sends a streamed body as it is read, opening it once and closing it however the put ends', async () => {
      const store = freshStore();
      const chunks = [randomBytes(1024 * 1024), randomBytes(1024 * 1024), randomBytes(123)];
      const streams: Readable[] = [];
      const body = {
        size: chunks.reduce((n, c) => n + c.length, 0),
        open: () => {
          const stream = Readable.from(chunks, { objectMode: false });
          streams.push(stream);
          return stream;
        },
      };
      const first = await store.put(body, { ifNoneMatch: '*' });
      expect(first.size).toBe(body.size);
      expect(streams).toHaveLength(1);
      const dest = join(work, 'streamed.bin');
      await store.download(dest);
      expect((await readFile(dest)).equals(Buffer.concat(chunks))).toBe(true);
      // Refused: the stream is closed all the same (it holds the engine's files open).
      await expectStoreError(store.put(body, { ifNoneMatch: '*' }), 'precondition_failed');
      expect(streams.length).toBeLessThanOrEqual(2);
      for (const stream of streams) expect(stream.destroyed).toBe(true);
    });

    it('rejects ifMatch when there is no current object', async () => {
      await expectStoreError(
        freshStore().put(text('x'), { ifMatch: '"0123456789abcdef"' }),
        'precondition_failed',
      );
    });

    it('lets exactly one of 20 concurrent writers from the same ETag win', async () => {
      const store = freshStore();
      const base = await store.put(text('base'), { ifNoneMatch: '*' });
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store.put(text(`writer-${i}`), { ifMatch: base.etag })),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, info: r.value }] : []));
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected')
          expect(isStoreError(r.reason, 'precondition_failed'), String(r.reason)).toBe(true);
      }
      const dest = join(work, 'race.bin');
      const got = await store.download(dest);
      expect(got).toMatchObject({ status: 'ok', etag: won[0]?.info.etag });
      expect(await read(dest)).toBe(`writer-${won[0]?.i}`);
    });

    it('downloads nothing when the ETag is current, and the new object once it changed', async () => {
      const store = freshStore();
      const v1 = await store.put(text('one'), { ifNoneMatch: '*' });
      const dest = join(work, 'revalidate.bin');
      await writeFile(dest, 'local copy');
      expect(await store.download(dest, { ifNoneMatch: v1.etag })).toEqual({ status: 'not-modified' });
      expect(await read(dest)).toBe('local copy');
      const v2 = await store.put(text('two!'), { ifMatch: v1.etag });
      const got = await store.download(dest, { ifNoneMatch: v1.etag });
      expect(got).toMatchObject({ status: 'ok', etag: v2.etag, size: 4 });
      expect(await read(dest)).toBe('two!');
      expect(await store.download(dest, { ifNoneMatch: v2.etag })).toEqual({ status: 'not-modified' });
    });

    it('loses no update when many writers read, modify and write back with retries', async () => {
      const store = freshStore();
      await store.put(text('0'), { ifNoneMatch: '*' });
      const writers = 5;
      const each = 4;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const file = join(work, `counter-${w}.txt`);
          for (let i = 0; i < each; i++) {
            for (;;) {
              const got = await store.download(file);
              if (got.status !== 'ok') throw new Error(`counter object is ${got.status}`);
              const value = Number((await read(file)).split(' ')[0]);
              try {
                // Unique bytes, as put's contract asks: a loser of the race answered 5xx is then
                // told apart from the winner that wrote the same count.
                await store.put(text(`${value + 1} ${w}.${i}.${randomBytes(4).toString('hex')}`), {
                  ifMatch: got.etag,
                });
                break;
              } catch (err) {
                if (!isStoreError(err, 'precondition_failed')) throw err;
              }
            }
          }
        }),
      );
      const dest = join(work, 'counter.txt');
      await store.download(dest);
      expect(Number((await read(dest)).split(' ')[0])).toBe(writers * each);
    });
  });

  describe('removing and listing', () => {
    it('removes the current object: absent afterwards, and removing again is no error', async () => {
      const store = freshStore();
      await store.put(text('doomed'), { unconditional: true });
      await store.remove();
      expect(await store.head()).toBeNull();
      expect(await store.download(join(work, 'removed.bin'))).toEqual({ status: 'absent' });
      await store.remove();
    });

    it.skipIf(!caps.conditional)('lets a removed key be created again with ifNoneMatch', async () => {
      const store = freshStore();
      await store.put(text('first life'), { ifNoneMatch: '*' });
      await store.remove();
      const again = await store.put(text('second life'), { ifNoneMatch: '*' });
      expect((await store.head())?.etag).toBe(again.etag);
    });

    it('lists the current objects under a prefix in key order, with their versions, leaving removed ones out', async () => {
      const prefix = freshPrefix();
      const a = bucket.object(`${prefix}a.sqlite`);
      const c = bucket.object(`${prefix}b/c.sqlite`);
      const gone = bucket.object(`${prefix}gone.sqlite`);
      await a.put(text('a1'), { unconditional: true });
      const a2 = await a.put(text('a-two'), { unconditional: true });
      const c1 = await c.put(text('ccc'), { unconditional: true });
      await gone.put(text('x'), { unconditional: true });
      await gone.remove();
      await bucket
        .object(`${freshPrefix()}elsewhere.sqlite`)
        .put(text('not listed'), { unconditional: true });
      const listed = await bucket.list(prefix);
      expect(listed.map((o) => o.key)).toEqual([`${prefix}a.sqlite`, `${prefix}b/c.sqlite`]);
      expect(listed[0]).toMatchObject({ etag: a2.etag, size: 5, versions: caps.versioned ? 2 : 1 });
      expect(listed[1]).toMatchObject({ etag: c1.etag, size: 3, versions: 1 });
    });

    it.skipIf(!caps.versioned)('keeps the versions of a removed object for the operator', async () => {
      const store = freshStore();
      const kept = await store.put(text('still here'), { unconditional: true });
      await store.remove();
      const dest = join(work, 'kept.bin');
      if (kept.versionId !== undefined && (await store.listVersions()).length > 0) {
        await store.download(dest, { versionId: kept.versionId });
        expect(await read(dest)).toBe('still here');
      }
    });
  });

  describe.skipIf(!caps.versioned)('versions', () => {
    it('lists every version newest first with its size', async () => {
      const store = freshStore();
      const puts = [];
      for (const body of ['a', 'bbbbbbbbbb', 'cccccccccccccccccccc']) {
        puts.push(await store.put(text(body), { unconditional: true }));
      }
      const versions = await store.listVersions();
      expect(versions.map((v) => v.size)).toEqual([20, 10, 1]);
      expect(versions.map((v) => v.versionId)).toEqual(puts.map((p) => p.versionId).reverse());
      expect(versions.map((v) => v.isLatest)).toEqual([true, false, false]);
      expect(new Set(versions.map((v) => v.versionId)).size).toBe(3);
      expect(versions[0]?.etag).toBe(puts[2]?.etag);
      const times = versions.map((v) => v.lastModified.getTime());
      expect([...times].sort((x, y) => y - x)).toEqual(times);
    });

    it('downloads an older version by its id', async () => {
      const store = freshStore();
      const old = await store.put(text('old content'), { unconditional: true });
      await store.put(text('new content'), { unconditional: true });
      expect(old.versionId).toBeDefined();
      const dest = join(work, 'old.bin');
      const got = await store.download(dest, { versionId: old.versionId });
      expect(got).toMatchObject({ status: 'ok', versionId: old.versionId, size: 11 });
      expect(await read(dest)).toBe('old content');
      const current = join(work, 'current.bin');
      await store.download(current);
      expect(await read(current)).toBe('new content');
    });

    it('reports a version that does not exist as not found and leaves the destination alone', async () => {
      const store = freshStore();
      await store.put(text('only'), { unconditional: true });
      const dir = await mkdtemp(join(work, 'failed-'));
      const dest = join(dir, 'db.bin');
      await writeFile(dest, 'previous');
      const missing = (await store.listVersions())[0]?.versionId.replace(/[0-9a-zA-Z]$/, (c) =>
        c === '7' ? '8' : '7',
      );
      await expectStoreError(store.download(dest, { versionId: missing }), 'not_found');
      expect(await read(dest)).toBe('previous');
      expect(await readdir(dir)).toEqual(['db.bin']);
    });
  });
}
