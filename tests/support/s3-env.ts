import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';

/**
 * The S3 under test, from the shared test environment contract:
 * CC_TEST_S3_ENDPOINT (unset = S3 tests skip, or fail when CC_TEST_REQUIRE_ALL=1),
 * CC_TEST_S3_REGION (us-east-1), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
 * CC_TEST_S3_UNQUOTED_ETAGS (1 for Ceph), CC_TEST_S3_BUCKET_PREFIX (cc-test).
 */
export interface S3TestEnv {
  endpoint: string;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  unquotedEtags: boolean;
  bucketPrefix: string;
}

const HOW_TO =
  'set CC_TEST_S3_ENDPOINT (e.g. http://127.0.0.1:7480 after `bash .ci/ceph-s3/start.sh`, with ' +
  'AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=testsecret CC_TEST_S3_UNQUOTED_ETAGS=1)';

/** Reads the contract; undefined when no endpoint is set. */
export function readS3TestEnv(env: NodeJS.ProcessEnv = process.env): S3TestEnv | undefined {
  const endpoint = env.CC_TEST_S3_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  return {
    endpoint,
    region: env.CC_TEST_S3_REGION?.trim() || 'us-east-1',
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    unquotedEtags: ['1', 'true', 'yes'].includes((env.CC_TEST_S3_UNQUOTED_ETAGS ?? '').trim().toLowerCase()),
    bucketPrefix: env.CC_TEST_S3_BUCKET_PREFIX?.trim() || 'cc-test',
  };
}

/** The S3 under test for this run, or undefined (then `s3SkipReason` says why). */
export const s3Env: S3TestEnv | undefined = readS3TestEnv();

/** True when CC_TEST_REQUIRE_ALL=1: a missing prerequisite is a failure, not a skip. */
export const requireAll = process.env.CC_TEST_REQUIRE_ALL === '1';

export const s3SkipReason: string | undefined = s3Env ? undefined : `no S3 to test against: ${HOW_TO}`;

/**
 * `describe` for suites that need S3. Without an endpoint the suite is skipped with the reason in
 * its title — or, under CC_TEST_REQUIRE_ALL=1, replaced by one failing test saying what is missing.
 */
export function describeWithS3(name: string, body: (env: S3TestEnv) => void): void {
  if (s3Env) {
    describe(name, () => body(s3Env));
    return;
  }
  if (requireAll) {
    describe(name, () => {
      it('has an S3 endpoint to test against (CC_TEST_REQUIRE_ALL=1)', () => {
        throw new Error(`CC_TEST_REQUIRE_ALL=1 but ${s3SkipReason}`);
      });
    });
    return;
  }
  describe.skip(`${name} — skipped: ${s3SkipReason}`, () => {
    it('needs S3', () => {});
  });
}

/** An S3 client for the test's own setup and checks (not the app's). */
export function createTestS3Client(env: S3TestEnv = mustHaveS3()): S3Client {
  return new S3Client({
    region: env.region,
    endpoint: env.endpoint,
    forcePathStyle: true,
    credentials:
      env.accessKeyId && env.secretAccessKey
        ? { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey }
        : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A fresh bucket `<prefix>-<purpose>-<random>`; versioned on request. Delete it with deleteTestBucket. */
export async function createTestBucket(opts: { versioned: boolean; purpose?: string }): Promise<string> {
  const env = mustHaveS3();
  const purpose = (opts.purpose ?? (opts.versioned ? 'ver' : 'plain'))
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const name = `${env.bucketPrefix}-${purpose}-${randomBytes(4).toString('hex')}`.slice(0, 63);
  const s3 = createTestS3Client(env);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    if (opts.versioned) {
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
      );
    }
  } finally {
    s3.destroy();
  }
  return name;
}

/** Deletes every version and delete marker, then the bucket. Quiet when it is already gone. */
export async function deleteTestBucket(name: string): Promise<void> {
  const s3 = createTestS3Client();
  try {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      let page: Awaited<ReturnType<typeof listPage>>;
      try {
        page = await listPage(s3, name, keyMarker, versionIdMarker);
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchBucket') return;
        throw err;
      }
      const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])];
      // One by one: DeleteObjects needs a checksum header that not every S3-compatible service accepts.
      await Promise.all(
        entries.map((e) =>
          s3.send(new DeleteObjectCommand({ Bucket: name, Key: e.Key, VersionId: e.VersionId })),
        ),
      );
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
    }
    await s3.send(new DeleteBucketCommand({ Bucket: name }));
  } finally {
    s3.destroy();
  }
}

function listPage(s3: S3Client, bucket: string, keyMarker?: string, versionIdMarker?: string) {
  return s3.send(
    new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
  );
}

/**
 * The app's settings (CC_* and AWS credentials) for a server or CLI process that should use this
 * bucket. Merge it over a clean environment: `{ ...process.env, ...appS3Env(bucket) }`.
 */
export function appS3Env(
  bucket: string,
  opts: { key?: string; timeoutMs?: number } = {},
): Record<string, string> {
  const env = mustHaveS3();
  const out: Record<string, string> = {
    CC_S3_BUCKET: bucket,
    CC_S3_ENDPOINT: env.endpoint,
    CC_S3_FORCE_PATH_STYLE: 'true',
    CC_S3_UNQUOTED_ETAGS: env.unquotedEtags ? 'true' : 'false',
    CC_S3_REGION: env.region,
    AWS_REGION: env.region,
  };
  if (env.accessKeyId) out.AWS_ACCESS_KEY_ID = env.accessKeyId;
  if (env.secretAccessKey) out.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
  if (opts.key) out.CC_DB_KEY = opts.key;
  if (opts.timeoutMs) out.CC_S3_TIMEOUT_MS = String(opts.timeoutMs);
  return out;
}

/** The S3StoreOptions for an in-process store on this bucket (the same settings appS3Env gives a process). */
export function s3StoreOptions(bucket: string, opts: { key?: string; timeoutMs?: number } = {}) {
  const env = mustHaveS3();
  return {
    bucket,
    key: opts.key ?? 'code-canvas/app.sqlite',
    region: env.region,
    endpoint: env.endpoint,
    forcePathStyle: true,
    unquotedEtags: env.unquotedEtags,
    timeoutMs: opts.timeoutMs ?? 5000,
  };
}

function mustHaveS3(): S3TestEnv {
  if (!s3Env) throw new Error(s3SkipReason);
  return s3Env;
}
