// What the S3 store SENDS and how it reads answers Ceph cannot produce (409 races, AWS error
// shapes), checked with aws-sdk-client-mock at the command level. Behaviour a real server can show
// is proven in tests/integration/store-contract.test.ts against Ceph.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3SnapshotStore, type S3StoreOptions } from '../../src/server/persistence/s3-store.ts';
import { isStoreError } from '../../src/server/persistence/store.ts';

const s3 = mockClient(S3Client);
const base: S3StoreOptions = {
  bucket: 'db-bucket',
  key: 'code-canvas/app.sqlite',
  region: 'us-east-1',
  endpoint: undefined,
  forcePathStyle: false,
  unquotedEtags: false,
  timeoutMs: 1000,
  clientConfig: { credentials: { accessKeyId: 'x', secretAccessKey: 'y' } },
};
const body = new TextEncoder().encode('db');

function serviceError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isStoreError(err) ? err.code : `not a StoreError: ${String(err)}`;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-s3-unit-'));
});
afterAll(async () => {
  s3.restore();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  s3.reset();
});

describe('S3 snapshot store requests', () => {
  it('sends If-Match with the ETag quoted as S3 returned it by default', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"new"', VersionId: 'v2' });
    const info = await new S3SnapshotStore(base).put(body, { ifMatch: '"abc123"' });
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Bucket: 'db-bucket', Key: 'code-canvas/app.sqlite', IfMatch: '"abc123"' });
    expect(input?.IfNoneMatch).toBeUndefined();
    expect(info).toMatchObject({ etag: '"new"', versionId: 'v2', size: 2 });
  });

  it('sends If-Match without quotes when unquotedEtags is set (Ceph compares verbatim)', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"new"' });
    await new S3SnapshotStore({ ...base, unquotedEtags: true }).put(body, { ifMatch: '"abc123"' });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.IfMatch).toBe('abc123');
  });

  it('sends If-None-Match: * for a creation and no condition for an unconditional put', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
    const store = new S3SnapshotStore(base);
    await store.put(body, { ifNoneMatch: '*' });
    await store.put(body, { unconditional: true });
    const [create, force] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(create).toMatchObject({ IfNoneMatch: '*', ContentLength: 2 });
    expect(create?.IfMatch).toBeUndefined();
    expect(force?.IfMatch).toBeUndefined();
    expect(force?.IfNoneMatch).toBeUndefined();
  });

  it('revalidates with If-None-Match and maps the SDK 304 error to not-modified', async () => {
    s3.on(GetObjectCommand).rejects(serviceError('304', 304));
    const res = await new S3SnapshotStore(base).download(join(dir, 'x'), { ifNoneMatch: '"cur"' });
    expect(res).toEqual({ status: 'not-modified' });
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input.IfNoneMatch).toBe('"cur"');
  });
});

describe('S3 snapshot store answers', () => {
  it('treats a 409 ConditionalRequestConflict as a lost race', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('ConditionalRequestConflict', 409));
    expect(await codeOf(new S3SnapshotStore(base).put(body, { ifMatch: '"a"' }))).toBe('precondition_failed');
  });

  it('treats AWS 404 NoSuchKey on If-Match as a failed precondition', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('NoSuchKey', 404));
    expect(await codeOf(new S3SnapshotStore(base).put(body, { ifMatch: '"a"' }))).toBe('precondition_failed');
  });

  it('names the stale ETag when a put is refused', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
    const err = await new S3SnapshotStore(base).put(body, { ifMatch: '"old"' }).catch((e: Error) => e);
    expect(String(err)).toContain(
      's3: put object s3://db-bucket/code-canvas/app.sqlite: precondition failed (the object changed since ETag "old")',
    );
  });

  it('reports a 5xx put as a lost race when another object is now current', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('InternalError', 500));
    s3.on(HeadObjectCommand).resolves({ ETag: '"theirs"', ContentLength: 2 });
    expect(await codeOf(new S3SnapshotStore(base).put(body, { ifMatch: '"base"' }))).toBe(
      'precondition_failed',
    );
  });

  it('reports a 5xx put as unavailable when the object did not change', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('InternalError', 500));
    s3.on(HeadObjectCommand).resolves({ ETag: '"base"', ContentLength: 2 });
    const err = await new S3SnapshotStore(base).put(body, { ifMatch: '"base"' }).catch((e: Error) => e);
    expect(isStoreError(err, 'unavailable')).toBe(true);
    expect(String(err)).toContain('nothing was written');
  });

  it('acknowledges a 5xx put whose bytes are proven current (ETag = MD5 of the body)', async () => {
    const md5 = createHash('md5').update(body).digest('hex');
    s3.on(PutObjectCommand).rejects(serviceError('InternalError', 500));
    s3.on(HeadObjectCommand).resolves({ ETag: `"${md5}"`, ContentLength: 2, VersionId: 'v9' });
    const info = await new S3SnapshotStore(base).put(body, { ifMatch: '"base"' });
    expect(info).toMatchObject({ etag: `"${md5}"`, versionId: 'v9', size: 2 });
  });

  it('acknowledges a put whose answer was lost when its bytes are current; otherwise the outcome stays unknown', async () => {
    const md5 = createHash('md5').update(body).digest('hex');
    const lost = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    s3.on(PutObjectCommand).rejects(lost);
    s3.on(HeadObjectCommand).resolves({ ETag: md5.toUpperCase(), ContentLength: 2 });
    expect((await new S3SnapshotStore(base).put(body, { ifMatch: '"base"' })).etag).toBe(md5.toUpperCase());
    // Unchanged after a lost answer proves nothing: the put may still be on its way.
    s3.on(HeadObjectCommand).resolves({ ETag: '"base"', ContentLength: 2 });
    const err = await new S3SnapshotStore(base).put(body, { ifMatch: '"base"' }).catch((e: Error) => e);
    expect(isStoreError(err, 'unavailable')).toBe(true);
    expect((err as { outcomeUnknown?: boolean }).outcomeUnknown).toBe(true);
  });

  it('reports 403 as access denied and names the bucket', async () => {
    s3.on(HeadObjectCommand).rejects(serviceError('Forbidden', 403));
    const err = await new S3SnapshotStore(base).head().catch((e: Error) => e);
    expect(isStoreError(err, 'access_denied')).toBe(true);
    expect(String(err)).toContain('bucket "db-bucket"');
  });

  it('names the missing permissions when a download is refused: ListBucket too, as a missing key is a 403 without it', async () => {
    s3.on(GetObjectCommand).rejects(serviceError('AccessDenied', 403));
    const err = await new S3SnapshotStore(base).download(join(dir, 'first')).catch((e: Error) => e);
    expect(isStoreError(err, 'access_denied')).toBe(true);
    expect((err as Error).message).toBe(
      's3: get object s3://db-bucket/code-canvas/app.sqlite: access denied to bucket "db-bucket" (AccessDenied (403)); the credentials need s3:GetObject on the key, and s3:ListBucket on the bucket (without it S3 answers 403, not 404, for a key that does not exist yet, as on the very first start)',
    );
    s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403));
    const put = await new S3SnapshotStore(base).put(body, { ifNoneMatch: '*' }).catch((e: Error) => e);
    expect(isStoreError(put, 'access_denied')).toBe(true);
    expect((put as Error).message).toMatch(/; the credentials need s3:PutObject on the key$/);
  });

  it('reports a 503 as unavailable', async () => {
    s3.on(GetObjectCommand).rejects(serviceError('SlowDown', 503));
    expect(await codeOf(new S3SnapshotStore({ ...base, readAttempts: 1 }).download(join(dir, 'y')))).toBe(
      'unavailable',
    );
  });

  it('maps the "null" version id of unversioned buckets to undefined', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('hello')]) as never,
      ETag: '"e"',
      VersionId: 'null',
      ContentLength: 5,
    });
    const dest = join(dir, 'null-version.bin');
    const res = await new S3SnapshotStore(base).download(dest);
    expect(res).toMatchObject({ status: 'ok', versionId: undefined, size: 5 });
    expect(await readFile(dest, 'utf8')).toBe('hello');
  });

  it('leaves no file behind when the body is shorter than announced', async () => {
    const sub = await mkdtemp(join(dir, 'short-'));
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('hel')]) as never,
      ETag: '"e"',
      ContentLength: 5,
    });
    expect(await codeOf(new S3SnapshotStore(base).download(join(sub, 'db.bin')))).toBe('unavailable');
    expect(await readdir(sub)).toEqual([]);
  });

  it('lists only the exact key, across pages, newest first, without delete markers', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'code-canvas/app.sqlite',
        NextVersionIdMarker: 'v2',
        Versions: [
          { Key: 'code-canvas/app.sqlite', VersionId: 'v3', IsLatest: true, Size: 3, ETag: '"c"' },
          { Key: 'code-canvas/app.sqlite', VersionId: 'v2', IsLatest: false, Size: 2, ETag: '"b"' },
        ],
        DeleteMarkers: [{ Key: 'code-canvas/app.sqlite', VersionId: 'dm', IsLatest: false }],
      })
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'code-canvas/app.sqlite-old',
        Versions: [
          { Key: 'code-canvas/app.sqlite', VersionId: 'v1', IsLatest: false, Size: 1, ETag: '"a"' },
          { Key: 'code-canvas/app.sqlite-old', VersionId: 'x', IsLatest: true, Size: 9, ETag: '"x"' },
        ],
      });
    const versions = await new S3SnapshotStore(base).listVersions();
    expect(versions.map((v) => v.versionId)).toEqual(['v3', 'v2', 'v1']);
    expect(versions.map((v) => v.size)).toEqual([3, 2, 1]);
    const calls = s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ Prefix: 'code-canvas/app.sqlite', VersionIdMarker: 'v2' });
  });
});
