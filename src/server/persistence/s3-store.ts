import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
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
  DownloadResult,
  ObjectInfo,
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

  constructor(opts: S3StoreOptions) {
    this.#bucket = opts.bucket;
    this.#key = opts.key;
    this.#unquotedEtags = opts.unquotedEtags;
    this.#timeoutMs = opts.timeoutMs;
    this.location = `s3://${opts.bucket}/${opts.key}`;
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
    this.#reads = new S3Client({ ...base, maxAttempts: opts.readAttempts ?? 3 });
    this.#writes = new S3Client({ ...base, maxAttempts: 1 });
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
      if (mapped.code !== 'unavailable') throw mapped;
      if (status !== undefined && status >= 500 && !('unconditional' in condition)) {
        return await this.#settleFailedPut(condition, what, err);
      }
      throw new StoreError(
        'unavailable',
        `${mapped.message}; the upload may or may not have landed: revalidate before writing again`,
        { cause: err, outcomeUnknown: true },
      );
    } finally {
      // An upload cut short leaves the stream half-read: close the files it reads.
      stream?.destroy();
    }
  }

  /**
   * A conditional put answered with a 5xx: the request is over, but did it land? Ceph's radosgw
   * answers most losers of a conditional race with 500 (ECANCELED) instead of 412 and never applies
   * them; reporting those as outages would turn every race into a user-visible error. One HEAD
   * settles it: the precondition's ETag (or absence) is still current → nothing landed
   * (unavailable, safe to retry); another object is current → we lost the race
   * (precondition_failed). "Our bytes are current" proves nothing: another writer may have put
   * identical bytes (two increments of the same counter), so that case is a lost race too.
   */
  async #settleFailedPut(condition: PutCondition, what: string, err: unknown): Promise<never> {
    const answered = describeS3Error(err);
    let current: ObjectInfo | null;
    try {
      current = await this.head();
    } catch {
      throw new StoreError(
        'unavailable',
        `${what}: S3 answered ${answered}; the upload may or may not have landed: revalidate before writing again`,
        { cause: err, outcomeUnknown: true },
      );
    }
    const expected = 'ifMatch' in condition ? condition.ifMatch : undefined;
    if (current?.etag === expected || (!current && expected === undefined)) {
      throw new StoreError('unavailable', `${what}: S3 answered ${answered}; nothing was written`, {
        cause: err,
      });
    }
    const now = current ? `ETag ${current.etag}` : 'no object';
    throw new StoreError(
      'precondition_failed',
      `${what}: precondition failed (S3 answered ${answered} and the key now has ${now}: another writer won the race)`,
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
