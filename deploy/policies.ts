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

export const BASIC_EXECUTION_POLICY = 'service-role/AWSLambdaBasicExecutionRole';
export function basicExecutionPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/${BASIC_EXECUTION_POLICY}`;
}

/**
 * The function's only S3 rights: the database object and its versions. HeadObject is authorised
 * as GetObject. Listing is limited to the key as prefix; it also makes a GetObject of a not-yet-
 * written key answer 404 rather than 403, which the app's first boot relies on.
 */
export function databasePolicy(names: Pick<Names, 'bucketArn' | 'dbKey'>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DatabaseObject',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
        Resource: `${names.bucketArn}/${names.dbKey}`,
      },
      {
        Sid: 'DatabaseVersions',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Resource: names.bucketArn,
        Condition: { StringEquals: { 's3:prefix': names.dbKey } },
      },
    ],
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
