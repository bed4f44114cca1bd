/**
 * Step 1, the database bucket: created if absent, then versioning, default encryption, all public
 * access blocked, a TLS-only policy statement and a lifecycle rule for old database versions.
 * Statements and rules that are not ours are kept as they are.
 */
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  type LifecycleRule,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DeployContext } from '../context.ts';
import { awsError, call, DeployError, find, httpStatus, isNotFound } from '../errors.ts';
import { type PolicyDocument, parsePolicy, samePolicy, TLS_ONLY_SID, tlsOnlyStatement } from '../policies.ts';
import { Changes, type StepResult } from '../report.ts';

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

interface BucketState {
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
    : { versioning: undefined, encrypted: false, publicAccessBlocked: false, policy: undefined, rules: [] };

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
  if (current.versioning !== 'Enabled') {
    changes.add('versioning', () =>
      call('s3: enable versioning on', Bucket, () =>
        s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } })),
      ),
    );
  }
  if (!current.encrypted) {
    changes.add('encryption', () =>
      call('s3: set default encryption on', Bucket, () =>
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
      call('s3: block public access to', Bucket, () =>
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
      call('s3: put bucket policy on', Bucket, () => s3.send(new PutBucketPolicyCommand({ Bucket, Policy }))),
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
        call('s3: put lifecycle on', Bucket, () =>
          s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } })),
        ),
    );
  }
  return changes.apply(ctx.dryRun, 'versioned, encrypted, private, TLS-only, lifecycle');
}
