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
  /**
   * The folder the app keeps its objects in: the database key's folder with a trailing `/`
   * (`code-canvas/` for `code-canvas/app.sqlite`), or `` for a key with no folder (the whole bucket).
   */
  dbPrefix: string;
  repository: string;
  role: string;
  functionName: string;
  logGroup: string;
  /** SSM parameter (SecureString) holding the session signing key: `/<app>/<stage>/session-secret`. */
  sessionSecret: string;
  roleArn: string;
  bucketArn: string;
  /** The log group's ARN without the `:*` suffix that also covers its streams. */
  logGroupArn: string;
  sessionSecretArn: string;
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
  const { account, region } = identity;
  const logGroup = `/aws/lambda/${base}`;
  const sessionSecret = `/${settings.app}/${settings.stage}/session-secret`;
  const slash = settings.dbKey.lastIndexOf('/');
  return {
    base,
    bucket,
    dbKey: settings.dbKey,
    dbPrefix: slash < 0 ? '' : settings.dbKey.slice(0, slash + 1),
    repository: base,
    role,
    functionName: base,
    logGroup,
    sessionSecret,
    roleArn: `arn:${p}:iam::${account}:role/${role}`,
    bucketArn: `arn:${p}:s3:::${bucket}`,
    logGroupArn: `arn:${p}:logs:${region}:${account}:log-group:${logGroup}`,
    // A name that starts with `/` keeps one slash in the ARN: `parameter/app/stage/session-secret`.
    sessionSecretArn: `arn:${p}:ssm:${region}:${account}:parameter${sessionSecret}`,
    tags: { app: settings.app, stage: settings.stage, 'managed-by': 'code-canvas-deploy' },
  };
}

/**
 * True when `tags` mark a resource as made by this tool for this app and stage. `destroy` removes
 * only such resources: a same-named one someone else made is left alone.
 */
export function isManaged(
  tags: Record<string, string | undefined> | { Key?: string; Value?: string }[] | undefined,
  names: Pick<Names, 'tags'>,
): boolean {
  const map = Array.isArray(tags)
    ? Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value]))
    : (tags ?? {});
  return Object.entries(names.tags).every(([k, v]) => map[k] === v);
}
