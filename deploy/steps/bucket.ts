/**
 * Step 1, the database bucket: created if absent, then versioning, default encryption, all public
 * access blocked, a TLS-only policy statement and a lifecycle rule for old database versions.
 * Statements and rules that are not ours are kept as they are.
 *
 * A bucket the deploy creates is tagged as managed by it (`destroy --delete-data` deletes only
 * such a bucket); so is an untagged bucket under the default name, which holds this account's
 * id and region and so can only be one an older release made. A bucket named with --bucket that
 * already exists is configured but never claimed.
 *
 * Right after CreateBucket, S3 may answer the settings calls with NoSuchBucket for a while (the
 * new bucket is eventually consistent): they are retried for up to `timing.bucketPropagationMs`.
 */
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  type LifecycleRule,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DeployContext, Timing } from '../context.ts';
import { awsError, call, DeployError, errorCode, find, httpStatus, isNotFound } from '../errors.ts';
import { type PolicyDocument, parsePolicy, samePolicy, TLS_ONLY_SID, tlsOnlyStatement } from '../policies.ts';
import { Changes, type StepResult, seconds } from '../report.ts';

export const LIFECYCLE_RULE_ID = 'expire-old-database-versions';

export function lifecycleRule(days: number, keep: number): LifecycleRule {
  return {
    ID: LIFECYCLE_RULE_ID,
    Status: 'Enabled',
    Filter: { Prefix: '' },
    NoncurrentVersionExpiration: { NoncurrentDays: days, NewerNoncurrentVersions: keep },
  };
}

export const PUBLIC_ACCESS_BLOCK = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/** True when the bucket exists and is ours in this region; false when absent; DeployError otherwise. */
export async function bucketExists(s3: S3Client, bucket: string, region: string): Promise<boolean> {
  try {
    const out = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    if (out.BucketRegion && out.BucketRegion !== region) throw wrongRegion(bucket, out.BucketRegion, region);
    return true;
  } catch (err) {
    if (err instanceof DeployError) throw err;
    const status = httpStatus(err);
    if (status === 404 || isNotFound(err, 'NotFound', 'NoSuchBucket')) return false;
    if (status === 301) throw wrongRegion(bucket, 'another region', region);
    if (status === 403) {
      throw new DeployError(`s3: bucket ${bucket} exists but this account may not use it`, {
        fix: 'bucket names are global: choose another with --bucket (or grant this account access to it)',
        cause: err,
      });
    }
    throw awsError(err, 's3: head bucket', bucket);
  }
}

function wrongRegion(bucket: string, actual: string, wanted: string): DeployError {
  return new DeployError(`s3: bucket ${bucket} is in ${actual}, not ${wanted}`, {
    fix: `deploy to the bucket's region (--region ${actual === 'another region' ? 'THAT-REGION' : actual}) or choose another --bucket`,
  });
}

/** Runs one settings call, retrying while S3 does not see the just-created bucket yet. */
async function onSettled<T>(
  timing: Timing,
  action: string,
  Bucket: string,
  request: () => Promise<T>,
): Promise<T> {
  const deadline = timing.now() + timing.bucketPropagationMs;
  for (;;) {
    try {
      return await request();
    } catch (err) {
      if (errorCode(err) !== 'NoSuchBucket') throw awsError(err, action, Bucket);
      if (timing.now() + timing.retryDelayMs > deadline) {
        throw new DeployError(
          `s3: bucket ${Bucket} still answers NoSuchBucket ${seconds(timing.bucketPropagationMs)} after it was created (${action})`,
          {
            fix: 'S3 is still propagating the new bucket: re-run in a minute (the deploy resumes)',
            cause: err,
          },
        );
      }
      await timing.sleep(timing.retryDelayMs);
    }
  }
}

interface BucketState {
  /** Undefined: the bucket has no tag set at all. */
  tags: Record<string, string> | undefined;
  versioning: string | undefined;
  encrypted: boolean;
  publicAccessBlocked: boolean;
  policy: PolicyDocument | undefined;
  rules: LifecycleRule[];
}

async function readBucket(s3: S3Client, Bucket: string): Promise<BucketState> {
  const versioning = await call('s3: get versioning of', Bucket, () =>
    s3.send(new GetBucketVersioningCommand({ Bucket })),
  );
  const encryption = await find(
    's3: get encryption of',
    Bucket,
    ['ServerSideEncryptionConfigurationNotFoundError'],
    () => s3.send(new GetBucketEncryptionCommand({ Bucket })),
  );
  const pab = await find(
    's3: get public access block of',
    Bucket,
    ['NoSuchPublicAccessBlockConfiguration'],
    () => s3.send(new GetPublicAccessBlockCommand({ Bucket })),
  );
  const policy = await find('s3: get policy of', Bucket, ['NoSuchBucketPolicy'], () =>
    s3.send(new GetBucketPolicyCommand({ Bucket })),
  );
  const lifecycle = await find('s3: get lifecycle of', Bucket, ['NoSuchLifecycleConfiguration'], () =>
    s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
  );
  const block = pab?.PublicAccessBlockConfiguration;
  return {
    tags: await readBucketTags(s3, Bucket),
    versioning: versioning.Status,
    // Any default encryption will do (SSE-S3 or KMS); only its absence needs fixing.
    encrypted: (encryption?.ServerSideEncryptionConfiguration?.Rules ?? []).some(
      (r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ),
    publicAccessBlocked: Object.keys(PUBLIC_ACCESS_BLOCK).every(
      (k) => block?.[k as keyof typeof block] === true,
    ),
    policy: parsePolicy(policy?.Policy),
    rules: lifecycle?.Rules ?? [],
  };
}

/** The bucket's tags, or undefined when it has none (S3 answers NoSuchTagSet). */
export async function readBucketTags(
  s3: S3Client,
  Bucket: string,
): Promise<Record<string, string> | undefined> {
  const out = await find('s3: get tags of', Bucket, ['NoSuchTagSet'], () =>
    s3.send(new GetBucketTaggingCommand({ Bucket })),
  );
  return out ? Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) : undefined;
}

function sameRule(a: LifecycleRule | undefined, b: LifecycleRule): boolean {
  if (!a) return false;
  return (
    a.Status === b.Status &&
    (a.Filter?.Prefix ?? '') === '' &&
    a.Filter?.And === undefined &&
    a.Filter?.Tag === undefined &&
    a.NoncurrentVersionExpiration?.NoncurrentDays === b.NoncurrentVersionExpiration?.NoncurrentDays &&
    a.NoncurrentVersionExpiration?.NewerNoncurrentVersions ===
      b.NoncurrentVersionExpiration?.NewerNoncurrentVersions
  );
}

export async function ensureBucket(ctx: DeployContext): Promise<StepResult> {
  const { s3 } = ctx.clients;
  const { bucket: Bucket, bucketArn } = ctx.names;
  const { region } = ctx.identity;
  const { noncurrentDays, noncurrentKeep } = ctx.settings;
  const changes = new Changes();
  const exists = await bucketExists(s3, Bucket, region);
  const current: BucketState = exists
    ? await readBucket(s3, Bucket)
    : {
        tags: undefined,
        versioning: undefined,
        encrypted: false,
        publicAccessBlocked: false,
        policy: undefined,
        rules: [],
      };
  const settle = <T>(action: string, request: () => Promise<T>) =>
    onSettled(ctx.timing, action, Bucket, request);

  if (!exists) {
    changes.creating = true;
    changes.add('create', async () => {
      try {
        await s3.send(
          new CreateBucketCommand({
            Bucket,
            ObjectOwnership: 'BucketOwnerEnforced',
            // us-east-1 is the one region that must not be named as a location constraint.
            ...(region === 'us-east-1'
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
          }),
        );
      } catch (err) {
        // Made by a concurrent run of ours since we looked: carry on configuring it.
        if (isNotFound(err, 'BucketAlreadyOwnedByYou')) return;
        if (isNotFound(err, 'BucketAlreadyExists')) {
          throw new DeployError(`s3: bucket name ${Bucket} is taken by another account`, {
            fix: 'bucket names are global: choose another with --bucket',
            cause: err,
          });
        }
        throw awsError(err, 's3: create bucket', Bucket);
      }
    });
  }
  const defaultName = ctx.settings.bucket === undefined;
  if (!exists || (defaultName && current.tags === undefined)) {
    const TagSet = Object.entries(ctx.names.tags).map(([Key, Value]) => ({ Key, Value }));
    changes.add('tags', () =>
      settle('s3: tag', () => s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet } }))),
    );
  }
  if (current.versioning !== 'Enabled') {
    changes.add('versioning', () =>
      settle('s3: enable versioning on', () =>
        s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } })),
      ),
    );
  }
  if (!current.encrypted) {
    changes.add('encryption', () =>
      settle('s3: set default encryption on', () =>
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket,
            ServerSideEncryptionConfiguration: {
              Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
            },
          }),
        ),
      ),
    );
  }
  if (!current.publicAccessBlocked) {
    changes.add('public access block', () =>
      settle('s3: block public access to', () =>
        s3.send(
          new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: PUBLIC_ACCESS_BLOCK }),
        ),
      ),
    );
  }
  const tls = tlsOnlyStatement(bucketArn);
  const others = (current.policy?.Statement ?? []).filter((s) => s.Sid !== TLS_ONLY_SID);
  const ours = current.policy?.Statement.find((s) => s.Sid === TLS_ONLY_SID);
  if (!ours || !samePolicy(ours, tls)) {
    const Policy = JSON.stringify({ Version: '2012-10-17', Statement: [...others, tls] });
    changes.add('TLS-only policy', () =>
      settle('s3: put bucket policy on', () => s3.send(new PutBucketPolicyCommand({ Bucket, Policy }))),
    );
  }
  const rule = lifecycleRule(noncurrentDays, noncurrentKeep);
  if (
    !sameRule(
      current.rules.find((r) => r.ID === LIFECYCLE_RULE_ID),
      rule,
    )
  ) {
    const Rules = [...current.rules.filter((r) => r.ID !== LIFECYCLE_RULE_ID), rule];
    changes.add(
      `lifecycle: old versions expire after ${noncurrentDays} d, newest ${noncurrentKeep} kept`,
      () =>
        settle('s3: put lifecycle on', () =>
          s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } })),
        ),
    );
  }
  return changes.apply(ctx.dryRun, 'versioned, encrypted, private, TLS-only, lifecycle');
}
