import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMIT_A, createHarness, type Harness } from './support/harness.ts';

const ROLE = 'code-canvas-prod-function';
const BUCKET_ARN = 'arn:aws:s3:::code-canvas-prod-123456789012-eu-west-1';
const BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

describe('the function role', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  const policy = (name: string) => JSON.parse(h.fake.roles.get(ROLE)?.inline.get(name) ?? 'null');

  it('moves a role made by an older release to the scoped policies, detaching the managed one last', async () => {
    await h.deploy(COMMIT_A);
    // What an older release left: AWSLambdaBasicExecutionRole, and the database key only, listing
    // only with the key as prefix (so a first GetObject of a missing key was a 403).
    const role = h.fake.roles.get(ROLE);
    role?.attached.add(BASIC);
    role?.inline.delete('logs');
    role?.inline.delete('session-secret');
    role?.inline.set(
      'database-object',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
            Resource: `${BUCKET_ARN}/code-canvas/app.sqlite`,
          },
          {
            Effect: 'Allow',
            Action: ['s3:ListBucket', 's3:ListBucketVersions'],
            Resource: BUCKET_ARN,
            Condition: { StringEquals: { 's3:prefix': 'code-canvas/app.sqlite' } },
          },
        ],
      }),
    );
    h.fake.clearCalls();
    h.output.length = 0;

    await h.deploy(COMMIT_A);
    expect(h.fake.mutations()).toEqual([
      'PutRolePolicy',
      'PutRolePolicy',
      'PutRolePolicy',
      'DetachRolePolicy',
    ]);
    expect(h.fake.inputs('PutRolePolicy').map((i) => i.PolicyName)).toEqual([
      'database-object',
      'logs',
      'session-secret',
    ]);
    expect(h.fake.inputs('DetachRolePolicy')).toEqual([{ RoleName: ROLE, PolicyArn: BASIC }]);
    expect([...(role?.attached ?? [])]).toEqual([]);
    expect(policy('database-object').Statement[1].Condition).toBeUndefined();
    expect(h.output.find((l) => l.startsWith('  ✔ role'))).toContain(
      'updated (database policy: code-canvas/*, log policy: /aws/lambda/code-canvas-prod only, session secret policy: /code-canvas/prod/session-secret only, detach AWSLambdaBasicExecutionRole (logs in every group))',
    );

    h.fake.clearCalls();
    await h.deploy(COMMIT_A);
    expect(h.fake.mutations()).toEqual([]);
  });

  it('grants the objects of the key’s folder, or of the whole bucket for a key with no folder', async () => {
    await h.deploy(COMMIT_A, '--db-key', 'data/prod/app.sqlite');
    expect(policy('database-object').Statement[0].Resource).toBe(`${BUCKET_ARN}/data/prod/*`);
    await h.deploy(COMMIT_A, '--db-key', 'app.sqlite');
    expect(policy('database-object').Statement[0].Resource).toBe(`${BUCKET_ARN}/*`);
    expect(policy('database-object').Statement[1]).toEqual({
      Sid: 'DatabaseListing',
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:ListBucketVersions'],
      Resource: BUCKET_ARN,
    });
  });
});
