import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { serviceError } from './support/fake-aws.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const FN = 'code-canvas-prod';

describe('deploy again', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.deploy(COMMIT_A);
    h.fake.clearCalls();
    h.output.length = 0;
  });
  afterEach(() => h.close());

  it('changes nothing and builds nothing when nothing changed', async () => {
    const result = await h.deploy(COMMIT_A);
    expect(h.fake.mutations()).toEqual([]);
    expect(h.docker.builds).toHaveLength(1);
    expect(h.docker.pushes).toHaveLength(1);
    expect(result.version).toBe('1');
    expect(h.output.filter((l) => / {2}unchanged/.test(l) && l.includes('✔'))).toHaveLength(10);
    expect(h.app.requests.at(-1)).toBe('/version');
  });

  it('updates only the code when the commit changes, and publishes it as the next live version', async () => {
    const result = await h.deploy(COMMIT_B);
    expect(h.fake.mutations()).toEqual(['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias']);
    const repo = h.fake.repos.get(FN);
    const digest = repo?.tags.get(`${COMMIT_B.slice(0, 12)}-20251120T100000Z-x86_64`);
    expect(h.fake.inputs('UpdateFunctionCode')).toEqual([
      { FunctionName: FN, ImageUri: `${repo?.uri}@${digest}`, Architectures: ['x86_64'] },
    ]);
    expect(h.fake.inputs('UpdateAlias')).toEqual([
      { FunctionName: FN, Name: 'live', FunctionVersion: '2', RoutingConfig: {} },
    ]);
    expect(h.docker.builds.map((b) => b.buildArgs.CC_BUILD_COMMIT)).toEqual([COMMIT_A, COMMIT_B]);
    expect(result.version).toBe('2');
    expect(h.output.join('\n')).toContain('serving bbbbbbbbbbbb');
    expect(h.output.join('\n')).toContain('roll back with: npm run rollback -- --stage prod --to 1');
  });

  it('updates only the configuration when a setting changes, without building', async () => {
    await h.deploy(COMMIT_A, '--memory', '2048', '--env', 'CC_LOG_LEVEL=debug', '--max-staleness-ms', '250');
    expect(h.fake.mutations()).toEqual(['UpdateFunctionConfiguration', 'PublishVersion', 'UpdateAlias']);
    expect(h.fake.inputs('UpdateFunctionConfiguration')[0]).toMatchObject({
      MemorySize: 2048,
      Environment: {
        Variables: {
          CC_S3_BUCKET: 'code-canvas-prod-123456789012-eu-west-1',
          CC_DB_KEY: 'code-canvas/app.sqlite',
          CC_COOKIE_SECURE: 'always',
          CC_SESSION_SECRET_PARAMETER: '/code-canvas/prod/session-secret',
          CC_MAX_STALENESS_MS: '250',
          CC_LOG_LEVEL: 'debug',
        },
      },
    });
    expect(h.docker.builds).toHaveLength(1);
  });

  it('changes the lifecycle rule and the repository policy in place when their settings change', async () => {
    await h.deploy(COMMIT_A, '--noncurrent-days', '7', '--noncurrent-keep', '3', '--keep-images', '4');
    expect(h.fake.mutations()).toEqual(['PutBucketLifecycleConfiguration', 'PutLifecyclePolicy']);
    expect(
      h.fake.buckets.get('code-canvas-prod-123456789012-eu-west-1')?.rules?.[0]?.NoncurrentVersionExpiration,
    ).toEqual({
      NoncurrentDays: 7,
      NewerNoncurrentVersions: 3,
    });
  });

  it('resumes after the alias move failed, without publishing a duplicate version', async () => {
    h.fake.failNext('UpdateAlias', serviceError('ServiceException', 'internal error', 500));
    await expect(h.deploy(COMMIT_B)).rejects.toThrow(
      /lambda: point alias live of code-canvas-prod: internal error/,
    );
    expect(h.output.some((l) => l.startsWith('  ✖ release'))).toBe(true);
    h.fake.clearCalls();

    const result = await h.deploy(COMMIT_B);
    expect(h.fake.mutations()).toEqual(['PublishVersion', 'UpdateAlias']);
    expect(h.fake.functions.get(FN)?.versions.size).toBe(2);
    expect(result.version).toBe('2');
    expect(h.docker.builds).toHaveLength(2);
  });
});

describe('deploy after a failure midway', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('names the resource and the fix, and a re-run creates only what is missing', async () => {
    h.fake.failNext(
      'CreateFunctionUrlConfig',
      serviceError('TooManyRequestsException', 'Rate exceeded', 429),
    );
    const failure = await h.deploy(COMMIT_A).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeployError);
    expect((failure as DeployError).message).toBe(
      'lambda: create function URL for code-canvas-prod:live: Rate exceeded',
    );
    expect((failure as DeployError).fix).toMatch(/wait a minute and re-run/);
    expect(h.output.some((l) => /^ {2}✖ url +code-canvas-prod:live +failed after/.test(l))).toBe(true);
    h.fake.clearCalls();

    await h.deploy(COMMIT_A);
    expect(h.fake.mutations()).toEqual(['CreateFunctionUrlConfig', 'AddPermission', 'AddPermission']);
    expect(h.docker.builds).toHaveLength(1);
  });

  it('resumes after a failed build without touching what was already created', async () => {
    h.docker.failBuild = 'npm ci exited with code 1';
    await expect(h.deploy(COMMIT_A)).rejects.toThrow(
      /docker: build of .*Dockerfile.lambda for linux\/amd64 failed/,
    );
    expect(h.fake.mutations()).not.toContain('CreateRole');
    h.fake.clearCalls();
    await h.deploy(COMMIT_A);
    expect(h.fake.mutations().slice(0, 2)).toEqual(['CreateRole', 'PutRolePolicy']);
    expect(h.fake.mutations()).not.toContain('CreateBucket');
    expect(h.fake.mutations()).not.toContain('CreateRepository');
  });

  it('gives up on a role that never propagates with one line saying to re-run', async () => {
    h.fake.rolePropagationFailures = 1_000_000;
    h.timing.rolePropagationMs = 100;
    const failure = (await h.deploy(COMMIT_A).catch((e: unknown) => e)) as DeployError;
    expect(failure.message).toBe(
      'lambda: role code-canvas-prod-function still cannot be assumed by Lambda after 0.1 s',
    );
    expect(failure.fix).toMatch(/re-run in a minute/);
  });

  it('stops before changing anything when Docker is not running', async () => {
    h.docker.down = true;
    await expect(h.deploy(COMMIT_A)).rejects.toThrow(/docker: the engine does not answer/);
    expect(h.fake.calls).toEqual([]);
  });

  it('turns a quota error into the quota fix', async () => {
    h.fake.failNext('CreateRepository', serviceError('LimitExceededException', 'repository limit reached'));
    const failure = (await h.deploy(COMMIT_A).catch((e: unknown) => e)) as DeployError;
    expect(failure.message).toBe('ecr: create repository code-canvas-prod: repository limit reached');
    expect(failure.fix).toMatch(/quota/);
  });

  it('turns access denied into the operator-policy fix', async () => {
    h.fake.failNext('CreateBucket', serviceError('AccessDenied', 'Access Denied', 403));
    const failure = (await h.deploy(COMMIT_A).catch((e: unknown) => e)) as DeployError;
    expect(failure.message).toBe('s3: create bucket code-canvas-prod-123456789012-eu-west-1: Access Denied');
    expect(failure.fix).toMatch(/IAM permissions for the operator/);
  });
});

describe('deploy to an existing bucket', () => {
  let h: Harness;
  const BUCKET = 'code-canvas-prod-123456789012-eu-west-1';
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('keeps AWS default encryption and the statements and rules it does not own', async () => {
    const foreign = {
      Sid: 'AuditorRead',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::999999999999:root' },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${BUCKET}/*`,
    };
    h.fake.buckets.set(BUCKET, {
      region: 'eu-west-1',
      versioning: 'Enabled',
      encryption: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }],
      },
      publicAccessBlock: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [foreign] }),
      rules: [{ ID: 'tidy-uploads', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }],
      versions: [],
    });
    await h.deploy(COMMIT_A);
    const s3Changes = h.fake.calls.filter((c) => c.service === 's3' && !/^(Get|Head)/.test(c.command));
    // Under the default name, untagged: made by an older release, so it is claimed.
    expect(s3Changes.map((c) => c.command)).toEqual([
      'PutBucketTagging',
      'PutBucketPolicy',
      'PutBucketLifecycleConfiguration',
    ]);
    const policy = JSON.parse(h.fake.inputs('PutBucketPolicy')[0]?.Policy as string);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'AuditorRead',
      'DenyInsecureTransport',
    ]);
    expect(policy.Statement[0]).toEqual(foreign);
    const rules = h.fake.buckets.get(BUCKET)?.rules ?? [];
    expect(rules.map((r) => r.ID)).toEqual(['tidy-uploads', 'expire-old-database-versions']);
  });

  it('refuses a bucket of the same name in another region, before changing anything', async () => {
    h.fake.buckets.set(BUCKET, { region: 'us-west-2', versions: [] });
    const failure = (await h.deploy(COMMIT_A).catch((e: unknown) => e)) as DeployError;
    expect(failure.message).toBe(`s3: bucket ${BUCKET} is in us-west-2, not eu-west-1`);
    expect(failure.fix).toContain('--region us-west-2');
    expect(h.fake.mutations()).toEqual([]);
  });
});
