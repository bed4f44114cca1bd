import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StoreConfig } from '../config.ts';
import { describeS3Error, refusedPrecondition, s3ErrorName, s3Status, toStoreError } from './s3-errors.ts';
import type {
  Bucket,
  DownloadResult,
  ObjectInfo,
  ObjectSummary,
  PutBody,
  PutCondition,
  SnapshotStore,
  VersionInfo,
} from './store.ts';
import { bodySize, StoreError } from './store.ts';

/** The S3 settings of StoreConfig, plus knobs the tests and benchmarks use. */
export type S3StoreOptions = Omit<Extract<StoreConfig, { kind: 's3' }>, 'kind'> & {
  /** Attempts for reads (GET, HEAD, list); puts are never retried by the SDK. Default 3. */
  readAttempts?: number;
  /** Extra client settings (tests: credentials); merged over the defaults. */
  clientConfig?: S3ClientConfig;
};

/**
 * What a refused download needs, named in its error. S3 answers a GetObject of a key that does not
 * exist yet with 404 only to callers allowed s3:ListBucket, and with 403 to the others: without it
 * the very first start, whose database object does not exist yet, is refused.
 */
const DOWNLOAD_NEEDS =
  's3:GetObject on the key, and s3:ListBucket on the bucket (without it S3 answers 403, not 404, for a key that does not exist yet, as on the very first start)';

/** Assumed worst-case upload throughput: a put may take timeoutMs plus this long per byte. */
const MIN_UPLOAD_BYTES_PER_MS = 8 * 1024; // 8 MiB/s

/**
 * The database object in an S3 bucket (AWS, or an S3-compatible service via `endpoint`).
 *
 * Puts go through a client with `maxAttempts: 1`: a conditional put that timed out may have landed,
 * and a silent SDK retry would then fail its own precondition (412) and make the engine re-run the
 * user's change as if it had lost a race — a duplicate. Reads retry with the SDK's standard policy.
 */
export class S3SnapshotStore implements SnapshotStore {
  readonly location: string;
  readonly #bucket: string;
  readonly #key: string;
  readonly #unquotedEtags: boolean;
  readonly #timeoutMs: number;
  readonly #reads: S3Client;
  readonly #writes: S3Client;

  constructor(opts: S3StoreOptions, clients: S3Clients = createS3Clients(opts)) {
    this.#bucket = opts.bucket;
    this.#key = opts.key;
    this.#unquotedEtags = opts.unquotedEtags;
    this.#timeoutMs = opts.timeoutMs;
    this.location = `s3://${opts.bucket}/${opts.key}`;
    this.#reads = clients.reads;
    this.#writes = clients.writes;
  }

  async download(
    destPath: string,
    opts: { ifNoneMatch?: string; versionId?: string } = {},
  ): Promise<DownloadResult> {
    const what = this.#what('get object', opts.versionId);
    let res: GetObjectCommandOutput;
    try {
      res = await this.#reads.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key,
          VersionId: opts.versionId,
          IfNoneMatch: opts.ifNoneMatch,
        }),
      );
    } catch (err) {
      // SDK v3 surfaces 304 Not Modified as an error with no body.
      if (s3Status(err) === 304) return { status: 'not-modified' };
      const name = s3ErrorName(err);
      if (opts.versionId === undefined && name === 'NoSuchKey') return { status: 'absent' };
      if (opts.versionId !== undefined && isMissingVersion(err)) {
        throw new StoreError('not_found', `${what}: no such version (${describeS3Error(err)})`, {
          cause: err,
        });
      }
      const needs = opts.versionId === undefined ? DOWNLOAD_NEEDS : 's3:GetObjectVersion on the key';
      throw toStoreError(err, what, this.#bucket, needs);
    }
    const body = res.Body as Readable | undefined;
    if (!body || res.ETag === undefined) {
      throw new StoreError('unavailable', `${what}: the response had no ${body ? 'ETag' : 'body'}`);
    }
    await mkdir(dirname(resolve(destPath)), { recursive: true });
    const tmp = `${destPath}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    let size: number;
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      size = (await stat(tmp)).size;
      if (res.ContentLength !== undefined && size !== res.ContentLength) {
        throw new StoreError('unavailable', `${what}: received ${size} of ${res.ContentLength} bytes`);
      }
      await rename(tmp, destPath);
    } catch (err) {
      body.destroy();
      await rm(tmp, { force: true }).catch(() => {});
      throw err instanceof StoreError ? err : toStoreError(err, what, this.#bucket);
    }
    return {
      status: 'ok',
      etag: res.ETag,
      versionId: versionOf(res.VersionId),
      size,
      lastModified: res.LastModified ?? new Date(),
    };
  }

  async head(): Promise<ObjectInfo | null> {
    const what = this.#what('head object');
    try {
      const res = await this.#reads.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#key }));
      if (res.ETag === undefined) throw new StoreError('unavailable', `${what}: the response had no ETag`);
      return {
        etag: res.ETag,
        versionId: versionOf(res.VersionId),
        size: res.ContentLength ?? 0,
        lastModified: res.LastModified ?? new Date(),
      };
    } catch (err) {
      if (err instanceof StoreError) throw err;
      // A HEAD 404 has no body, so "no such key" and "no such bucket" look alike: ask the bucket.
      if (s3Status(err) === 404) {
        await this.#assertBucketExists(what);
        return null;
      }
      throw toStoreError(err, what, this.#bucket);
    }
  }

  async put(body: PutBody, condition: PutCondition): Promise<ObjectInfo> {
    const what = this.#what('put object');
    const size = bodySize(body);
    // A stream is sent as it is read; the SDK never retries a put, so it is opened exactly once.
    const stream = body instanceof Uint8Array ? undefined : body.open();
    const input: PutObjectCommandInput = {
      Bucket: this.#bucket,
      Key: this.#key,
      Body: body instanceof Uint8Array ? body : stream,
      ContentLength: size,
      ContentType: 'application/octet-stream',
    };
    if ('ifMatch' in condition) input.IfMatch = this.#sendableEtag(condition.ifMatch);
    else if ('ifNoneMatch' in condition) input.IfNoneMatch = '*';
    try {
      const res = await this.#writes.send(new PutObjectCommand(input), {
        requestTimeout: this.#timeoutMs + Math.ceil(size / MIN_UPLOAD_BYTES_PER_MS),
      });
      if (res.ETag === undefined) throw new StoreError('unavailable', `${what}: the response had no ETag`);
      return {
        etag: res.ETag,
        versionId: versionOf(res.VersionId),
        size,
        // PutObject does not return the time; the local clock is close enough for display.
        lastModified: new Date(),
      };
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const refused = refusedPrecondition(err, condition, what);
      if (refused) throw refused;
      const status = s3Status(err);
      const mapped = toStoreError(err, what, this.#bucket, 's3:PutObject on the key');
      if (mapped.code !== 'unavailable' || 'unconditional' in condition) {
        throw mapped.code === 'unavailable' ? uncertain(mapped.message, err) : mapped;
      }
      // Settle it only after the stream is closed: a put cut short must not still be sending.
      stream?.destroy();
      return await this.#settleUncertainPut(
        body,
        condition,
        what,
        err,
        status !== undefined && status >= 500,
      );
    } finally {
      // An upload cut short leaves the stream half-read: close the files it reads.
      stream?.destroy();
    }
  }

  /**
   * A conditional put whose outcome is uncertain: S3 answered with a 5xx, or the answer was lost
   * (a reset, a timeout). Did it land? One HEAD, and the MD5 of what was sent, settle it:
   * - the current ETag is the MD5 of our body (S3's ETag for a single-part put, without SSE-KMS or
   *   SSE-C): it landed — acknowledge it. The engine makes every image it uploads unique (a random
   *   `user_version` per batch, working-copy.ts), so another writer cannot have put the same bytes;
   * - after a 5xx (S3 finished with the request), the precondition's ETag (or absence) is still
   *   current: nothing landed (unavailable, safe to retry). Ceph's radosgw answers most losers of a
   *   conditional race with 500 (ECANCELED) instead of 412 and never applies them: another object is
   *   current, we lost the race (precondition_failed);
   * - after a lost answer, anything else proves nothing: the put may still be on its way. The
   *   outcome stays unknown, and the engine revalidates before the next write.
   * Where ETags are not MD5s (SSE-KMS, SSE-C, multipart) the first case never matches, and the
   * rest is as before: a keyed (Idempotency-Key) write is safe to retry either way.
   */
  async #settleUncertainPut(
    body: PutBody,
    condition: PutCondition,
    what: string,
    err: unknown,
    answered: boolean,
  ): Promise<ObjectInfo> {
    const how = answered ? `S3 answered ${describeS3Error(err)}` : describeS3Error(err);
    let current: ObjectInfo | null;
    let md5: string;
    try {
      [current, md5] = await Promise.all([this.head(), md5Of(body)]);
    } catch {
      throw uncertain(`${what}: ${how}`, err);
    }
    if (current && etagHex(current.etag) === md5) return { ...current, size: bodySize(body) };
    if (!answered) throw uncertain(`${what}: ${how}`, err);
    const expected = 'ifMatch' in condition ? condition.ifMatch : undefined;
    if (current?.etag === expected || (!current && expected === undefined)) {
      throw new StoreError('unavailable', `${what}: ${how}; nothing was written`, { cause: err });
    }
    const now = current ? `ETag ${current.etag}` : 'no object';
    throw new StoreError(
      'precondition_failed',
      `${what}: precondition failed (${how} and the key now has ${now}: another writer won the race)`,
      { cause: err },
    );
  }

  async listVersions(): Promise<VersionInfo[]> {
    const what = this.#what('list object versions');
    const out: VersionInfo[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.#reads.send(
          new ListObjectVersionsCommand({
            Bucket: this.#bucket,
            Prefix: this.#key,
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          }),
        );
        let pastKey = false;
        // S3 lists keys in order and each key's versions newest first; delete markers are elsewhere.
        for (const v of page.Versions ?? []) {
          if (v.Key !== this.#key) {
            if (v.Key !== undefined && v.Key > this.#key) pastKey = true;
            continue;
          }
          out.push({
            etag: v.ETag ?? '',
            versionId: v.VersionId ?? 'null',
            size: v.Size ?? 0,
            lastModified: v.LastModified ?? new Date(0),
            isLatest: v.IsLatest === true,
          });
        }
        if (pastKey || !page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        versionIdMarker = page.NextVersionIdMarker;
      }
    } catch (err) {
      throw toStoreError(err, what, this.#bucket);
    }
    return out;
  }

  async remove(): Promise<void> {
    try {
      // Deleting is idempotent, so the retrying client is safe here.
      await this.#reads.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key }));
    } catch (err) {
      if (s3Status(err) === 404 && s3ErrorName(err) === 'NoSuchKey') return;
      throw toStoreError(err, this.#what('delete object'), this.#bucket);
    }
  }

  /** Closes the HTTP connections; the store is unusable afterwards. */
  destroy(): void {
    this.#reads.destroy();
    this.#writes.destroy();
  }

  /** Ceph and some other S3-compatible services compare If-Match byte for byte against the bare hash. */
  #sendableEtag(etag: string): string {
    return this.#unquotedEtags ? etag.replace(/^"(.*)"$/, '$1') : etag;
  }

  async #assertBucketExists(what: string): Promise<void> {
    try {
      await this.#reads.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (err) {
      if (s3Status(err) === 404) {
        throw new StoreError(
          'access_denied',
          `${what}: bucket "${this.#bucket}" does not exist (check CC_S3_BUCKET, CC_S3_REGION and CC_S3_ENDPOINT)`,
          { cause: err },
        );
      }
      // Anything else (e.g. no s3:ListBucket permission) says nothing about the object: it is absent.
    }
  }

  #what(op: string, versionId?: string): string {
    return `s3: ${op} ${this.location}${versionId === undefined ? '' : ` version ${versionId}`}`;
  }
}

/** The two clients a bucket's stores share: reads retry, puts never do (see S3SnapshotStore). */
export interface S3Clients {
  reads: S3Client;
  writes: S3Client;
}

export function createS3Clients(opts: Omit<S3StoreOptions, 'key'>): S3Clients {
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: opts.timeoutMs,
    requestTimeout: opts.timeoutMs,
    // An upload or download that stalls mid-body fails too, not only one that never answers.
    socketTimeout: opts.timeoutMs,
    throwOnRequestTimeout: true,
  });
  const base: S3ClientConfig = {
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle,
    // With the SDK's default (WHEN_SUPPORTED), uploads carry CRC trailers that several
    // S3-compatible services reject (Ceph: 411 MissingContentLength).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler,
    ...opts.clientConfig,
  };
  return {
    reads: new S3Client({ ...base, maxAttempts: opts.readAttempts ?? 3 }),
    writes: new S3Client({ ...base, maxAttempts: 1 }),
  };
}

/** A bucket: one S3SnapshotStore per key, all sharing one pair of clients (and their connections). */
export class S3Bucket implements Bucket {
  readonly location: string;
  readonly #opts: Omit<S3StoreOptions, 'key'>;
  readonly #clients: S3Clients;

  constructor(opts: Omit<S3StoreOptions, 'key'>) {
    this.#opts = opts;
    this.#clients = createS3Clients(opts);
    this.location = `s3://${opts.bucket}`;
  }

  object(key: string): S3SnapshotStore {
    return new S3SnapshotStore({ ...this.#opts, key }, this.#clients);
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    const what = `s3: list objects ${this.location}/${prefix}`;
    const byKey = new Map<string, ObjectSummary & { deleted: boolean }>();
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.#clients.reads.send(
          new ListObjectVersionsCommand({
            Bucket: this.#opts.bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          }),
        );
        for (const v of page.Versions ?? []) {
          if (v.Key === undefined) continue;
          const entry = byKey.get(v.Key) ?? {
            key: v.Key,
            etag: '',
            size: 0,
            lastModified: new Date(0),
            versions: 0,
            deleted: true,
          };
          entry.versions++;
          if (v.IsLatest) {
            Object.assign(entry, {
              etag: v.ETag ?? '',
              size: v.Size ?? 0,
              lastModified: v.LastModified ?? new Date(0),
              deleted: false,
            });
          }
          byKey.set(v.Key, entry);
        }
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        versionIdMarker = page.NextVersionIdMarker;
      }
    } catch (err) {
      throw toStoreError(err, what, this.#opts.bucket);
    }
    return [...byKey.values()]
      .filter((e) => !e.deleted)
      .map(({ deleted: _, ...e }) => e)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Closes the HTTP connections of every store it handed out. */
  destroy(): void {
    this.#clients.reads.destroy();
    this.#clients.writes.destroy();
  }
}

function uncertain(message: string, cause: unknown): StoreError {
  return new StoreError(
    'unavailable',
    `${message}; the upload may or may not have landed: revalidate before writing again`,
    { cause, outcomeUnknown: true },
  );
}

/** The hex MD5 of a put's body (a stream body is read again: its files are unchanged until the put settles). */
async function md5Of(body: PutBody): Promise<string> {
  const hash = createHash('md5');
  if (body instanceof Uint8Array) hash.update(body);
  else for await (const chunk of body.open()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** An ETag as a bare lower-case string (S3 quotes it; some services do not). */
function etagHex(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1').toLowerCase();
}

/** Unversioned buckets answer with no version id, or the literal "null". */
function versionOf(id: string | undefined): string | undefined {
  return id === undefined || id === 'null' ? undefined : id;
}

function isMissingVersion(err: unknown): boolean {
  const status = s3Status(err);
  const name = s3ErrorName(err);
  // AWS answers a malformed version id with 400 InvalidArgument.
  return status === 404 || (status === 400 && name === 'InvalidArgument');
}
