import type { Readable } from 'node:stream';

/**
 * The snapshot store: the narrow interface between the persistence engine and whatever keeps the
 * database object (an S3 bucket, or a local directory that plays one). One store is bound to one
 * object key. Every implementation passes the same contract suite (tests/integration/store-contract).
 *
 * ETags are opaque strings compared for equality only; each implementation hands back the form it
 * expects to receive in `ifMatch` / `ifNoneMatch` (S3: the quoted form, e.g. `"abc…"`).
 */

export interface ObjectInfo {
  etag: string;
  /** Absent for stores (or buckets) without versioning. */
  versionId: string | undefined;
  size: number;
  lastModified: Date;
}

export interface VersionInfo extends ObjectInfo {
  versionId: string;
  isLatest: boolean;
}

export type DownloadResult =
  | ({ status: 'ok' } & ObjectInfo)
  /** `ifNoneMatch` named the current ETag: nothing was downloaded. */
  | { status: 'not-modified' }
  /** No current object (never written, or deleted). */
  | { status: 'absent' };

/**
 * What a put uploads: bytes in memory, or a stream of exactly `size` bytes that `open()` produces
 * (the engine's database image, read from disk while it is sent; see wal-image.ts). A store opens
 * the stream at most once per put and destroys it when the put ends, however it ends.
 */
export type PutBody = Uint8Array | { readonly size: number; open(): Readable };

export function bodySize(body: PutBody): number {
  return body instanceof Uint8Array ? body.byteLength : body.size;
}

/** The whole body in memory, checking that a stream delivered exactly the bytes it promised. */
export async function bodyBytes(body: PutBody): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body.open()) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== body.size) throw new Error(`body stream gave ${bytes.length} of ${body.size} bytes`);
  return bytes;
}

/** The condition a put is made under; exactly one, always explicit. */
export type PutCondition =
  /** Only if the current object still has this ETag. */
  | { ifMatch: string }
  /** Only if there is no current object. */
  | { ifNoneMatch: '*' }
  /** Unconditionally: operator commands only (`db push`/`restore --force`), never the engine. */
  | { unconditional: true };

export interface SnapshotStore {
  /** Human-readable location for logs and errors, e.g. `s3://bucket/key` or `file:///dir (key)`. */
  readonly location: string;
  /**
   * Downloads the current object (or `versionId`) to `destPath`, atomically: the bytes are written to
   * a temporary file beside it and renamed into place, so `destPath` is never half-written.
   */
  download(destPath: string, opts?: { ifNoneMatch?: string; versionId?: string }): Promise<DownloadResult>;
  /** Metadata of the current object, or null when there is none. */
  head(): Promise<ObjectInfo | null>;
  /**
   * Writes a new current object under `condition`; throws StoreError 'precondition_failed' when it
   * does not hold. Callers put bytes no other writer puts (the engine stamps every image with a
   * random `user_version`): a put whose answer was lost or is a 5xx is settled by comparing the
   * current object with the body sent, which only proves anything if the body is unique.
   */
  put(body: PutBody, condition: PutCondition): Promise<ObjectInfo>;
  /** Every version of the key, newest first. */
  listVersions(): Promise<VersionInfo[]>;
  /**
   * Deletes the current object. Where versions are kept they stay (S3: a delete marker), so an
   * operator can still restore one. Deleting an absent object is not an error.
   */
  remove(): Promise<void>;
}

/** One current object of a bucket listing. */
export interface ObjectSummary {
  key: string;
  etag: string;
  size: number;
  lastModified: Date;
  /** Versions kept of this key (1 where the bucket keeps none). */
  versions: number;
}

/**
 * Where the objects live: an S3 bucket, or a local directory that plays one. Hands out one
 * SnapshotStore per key (sharing connections), and lists what is there for the operator.
 */
export interface Bucket {
  /** Human-readable location, e.g. `s3://bucket` or `file:///dir`. */
  readonly location: string;
  /** The store for one object key. */
  object(key: string): SnapshotStore;
  /** Current objects whose key begins with `prefix`, in key order. Deleted ones are left out. */
  list(prefix: string): Promise<ObjectSummary[]>;
}

export type StoreErrorCode =
  /** The put's condition did not hold (S3 412), or lost a concurrent conditional race (S3 409). */
  | 'precondition_failed'
  /** The store could not be reached, timed out, or answered with a server error. */
  | 'unavailable'
  /** The store refused the credentials or the operation (S3 403), or the bucket does not exist. */
  | 'access_denied'
  /** The requested version does not exist. */
  | 'not_found';

/** Every failure a store reports. `message` says the operation and the key: `s3: put object KEY: …`. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /**
   * A put that failed after it may have reached the store (its answer was lost, or it timed out):
   * it may or may not have landed. Never set on a refusal the store answered.
   */
  readonly outcomeUnknown: boolean;
  constructor(
    code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
    this.outcomeUnknown = options?.outcomeUnknown === true;
  }
}

/** True for a StoreError with this code (compared by code, so copies of this module interoperate). */
export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'StoreError' &&
    (code === undefined || (err as { code?: unknown }).code === code)
  );
}
