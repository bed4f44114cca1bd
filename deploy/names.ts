/**
 * Every resource name and ARN of one app + stage, derived in one place so `deploy`, `rollback`,
 * `logs` and `destroy` agree, and two stages never share anything.
 */
import type { Identity } from './aws.ts';
import { DeployError } from './errors.ts';
import type { Settings } from './settings.ts';

export interface Names {
  /** `<app>-<stage>`: function, repository and the stem of everything else. */
  base: string;
  bucket: string;
  dbKey: string;
  repository: string;
  role: string;
  /** The role's inline policy that grants the database object. */
  rolePolicy: string;
  functionName: string;
  logGroup: string;
  roleArn: string;
  bucketArn: string;
  /** Tags put on everything that takes tags at creation. */
  tags: Record<string, string>;
}

export function resourceNames(
  settings: Pick<Settings, 'app' | 'stage' | 'bucket' | 'dbKey'>,
  identity: Identity,
): Names {
  const base = `${settings.app}-${settings.stage}`;
  // Bucket names are global across all accounts: the account and region make ours unique.
  const bucket = settings.bucket ?? `${base}-${identity.account}-${identity.region}`;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new DeployError(
      `bucket name "${bucket}" is not a valid S3 bucket name (3–63 lowercase characters)`,
      {
        fix: 'shorten --app / --stage, or name the bucket with --bucket',
      },
    );
  }
  const role = `${base}-function`;
  const p = identity.partition;
  return {
    base,
    bucket,
    dbKey: settings.dbKey,
    repository: base,
    role,
    rolePolicy: 'database-object',
    functionName: base,
    logGroup: `/aws/lambda/${base}`,
    roleArn: `arn:${p}:iam::${identity.account}:role/${role}`,
    bucketArn: `arn:${p}:s3:::${bucket}`,
    tags: { app: settings.app, stage: settings.stage, 'managed-by': 'code-canvas-deploy' },
  };
}
