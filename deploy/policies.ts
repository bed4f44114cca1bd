/**
 * The policy documents the deploy writes, as pure functions of the resource names, and a
 * comparison that ignores the cosmetic differences AWS introduces when it stores a document
 * (key order, a one-element array vs a string, URL encoding).
 */
import type { Names } from './names.ts';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Lets Lambda assume the execution role, and nothing else. */
export function trustPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    // An IAM service principal: an identifier in the document, not an address this tool contacts.
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  };
}

/**
 * The AWS-managed logging policy older releases attached: it allows writing to every log group in
 * the account (`*`). The deploy now detaches it and grants the function's own group instead.
 */
export const BASIC_EXECUTION_POLICY = 'service-role/AWSLambdaBasicExecutionRole';
export function basicExecutionPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/${BASIC_EXECUTION_POLICY}`;
}

/**
 * The function's S3 rights: every object under the database key's folder and their versions — the
 * app keeps several there (`directory.sqlite`, `workspaces/<id>.sqlite`, the legacy key it migrates
 * from) and deletes workspace objects (a delete marker: the bucket keeps every version). HeadObject
 * is authorised as GetObject. Listing is granted on the whole bucket, without an `s3:prefix`
 * condition: a GetObject carries no prefix, and S3 answers 404 for a missing key only to callers
 * with s3:ListBucket — without it the first boot's download of a not-yet-written key is a 403,
 * which the engine (rightly) treats as fatal. The bucket holds only the app's data.
 */
export function databasePolicy(names: Pick<Names, 'bucketArn' | 'dbPrefix'>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DatabaseObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject'],
        Resource: `${names.bucketArn}/${names.dbPrefix}*`,
      },
      {
        Sid: 'DatabaseListing',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Resource: names.bucketArn,
      },
    ],
  };
}

/** Writing to the function's own log group (which the deploy creates), and no other. */
export function logPolicy(names: Pick<Names, 'logGroupArn'>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OwnLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${names.logGroupArn}:*`,
      },
    ],
  };
}

/**
 * Reading the session signing key. No kms:Decrypt: the parameter is encrypted with the AWS-managed
 * key `aws/ssm`, whose key policy lets every principal of the account decrypt through Parameter
 * Store; the ssm:GetParameter grant on this one ARN is what limits the function to its own secret.
 */
export function sessionSecretPolicy(names: Pick<Names, 'sessionSecretArn'>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SessionSecret', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: names.sessionSecretArn },
    ],
  };
}

/** The role's inline policies by name, each owned wholly by the deploy. */
export function rolePolicies(names: Names): Record<string, PolicyDocument> {
  return {
    'database-object': databasePolicy(names),
    logs: logPolicy(names),
    'session-secret': sessionSecretPolicy(names),
  };
}

export const TLS_ONLY_SID = 'DenyInsecureTransport';
/** Refuses every request to the bucket that did not come over TLS. */
export function tlsOnlyStatement(bucketArn: string): PolicyStatement {
  return {
    Sid: TLS_ONLY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/** Parses a policy as IAM or S3 hands it back (IAM URL-encodes role documents). */
export function parsePolicy(text: string | undefined): PolicyDocument | undefined {
  if (!text) return undefined;
  const json = text.trimStart().startsWith('{') ? text : decodeURIComponent(text);
  return JSON.parse(json) as PolicyDocument;
}

/** Deep equality after canonicalising: sorted keys, one-element arrays as their element, sorted lists. */
export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    if (items.length === 1) return items[0];
    return items.every((i) => typeof i === 'string') ? [...items].sort() : items;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
