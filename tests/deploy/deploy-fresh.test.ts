import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMIT_A, createHarness, type Harness } from './support/harness.ts';

const BUCKET = 'code-canvas-prod-123456789012-eu-west-1';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const FN = 'code-canvas-prod';
const ROLE = 'code-canvas-prod-function';
const ROLE_ARN = `arn:aws:iam::123456789012:role/${ROLE}`;
const TAGS = { app: 'code-canvas', stage: 'prod', 'managed-by': 'code-canvas-deploy' };

describe('deploy to a fresh account', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('creates every resource in order, each with exactly the settings asked for', async () => {
    const result = await h.deploy(COMMIT_A);

    expect(h.fake.mutations()).toEqual([
      'CreateBucket',
      'PutBucketTagging',
      'PutBucketVersioning',
      'PutBucketEncryption',
      'PutPublicAccessBlock',
      'PutBucketPolicy',
      'PutBucketLifecycleConfiguration',
      'PutParameter',
      'CreateRepository',
      'PutLifecyclePolicy',
      'CreateRole',
      'PutRolePolicy',
      'PutRolePolicy',
      'PutRolePolicy',
      'CreateLogGroup',
      'PutRetentionPolicy',
      'CreateFunction',
      'PutFunctionConcurrency',
      'PublishVersion',
      'CreateAlias',
      'CreateFunctionUrlConfig',
      'AddPermission',
      'AddPermission',
    ]);
    const one = (command: string) => {
      const inputs = h.fake.inputs(command);
      expect(inputs, command).toHaveLength(1);
      return inputs[0] as Record<string, unknown>;
    };

    expect(one('CreateBucket')).toEqual({
      Bucket: BUCKET,
      ObjectOwnership: 'BucketOwnerEnforced',
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    });
    expect(one('PutBucketTagging')).toEqual({
      Bucket: BUCKET,
      Tagging: { TagSet: Object.entries(TAGS).map(([Key, Value]) => ({ Key, Value })) },
    });
    expect(one('PutBucketVersioning')).toEqual({
      Bucket: BUCKET,
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(one('PutBucketEncryption')).toEqual({
      Bucket: BUCKET,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    expect(one('PutPublicAccessBlock')).toEqual({
      Bucket: BUCKET,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    });
    const bucketPolicy = one('PutBucketPolicy');
    expect(bucketPolicy.Bucket).toBe(BUCKET);
    expect(JSON.parse(bucketPolicy.Policy as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
    expect(one('PutBucketLifecycleConfiguration')).toEqual({
      Bucket: BUCKET,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: 'expire-old-database-versions',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 5 },
          },
        ],
      },
    });

    expect(one('CreateRepository')).toEqual({
      repositoryName: FN,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'IMMUTABLE',
      tags: Object.entries(TAGS).map(([Key, Value]) => ({ Key, Value })),
    });
    const lifecycle = one('PutLifecyclePolicy');
    expect(JSON.parse(lifecycle.lifecyclePolicyText as string)).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'keep the newest 10 images',
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
          action: { type: 'expire' },
        },
      ],
    });

    const role = one('CreateRole');
    expect(role.RoleName).toBe(ROLE);
    expect(role.Tags).toEqual(Object.entries(TAGS).map(([Key, Value]) => ({ Key, Value })));
    expect(JSON.parse(role.AssumeRolePolicyDocument as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    // No managed policy: AWSLambdaBasicExecutionRole would allow logging to every group in the account.
    expect(h.fake.inputs('AttachRolePolicy')).toEqual([]);
    const inline = Object.fromEntries(
      h.fake.inputs('PutRolePolicy').map((i) => {
        expect(i.RoleName).toBe(ROLE);
        return [i.PolicyName as string, JSON.parse(i.PolicyDocument as string)];
      }),
    );
    expect(inline).toEqual({
      'database-object': {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DatabaseObjects',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject'],
            Resource: `${BUCKET_ARN}/code-canvas/*`,
          },
          {
            Sid: 'DatabaseListing',
            Effect: 'Allow',
            Action: ['s3:ListBucket', 's3:ListBucketVersions'],
            Resource: BUCKET_ARN,
          },
        ],
      },
      logs: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OwnLogGroup',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${FN}:*`,
          },
        ],
      },
      'session-secret': {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SessionSecret',
            Effect: 'Allow',
            Action: 'ssm:GetParameter',
            Resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/code-canvas/prod/session-secret',
          },
        ],
      },
    });

    expect(one('CreateLogGroup')).toEqual({ logGroupName: `/aws/lambda/${FN}`, tags: TAGS });
    expect(one('PutRetentionPolicy')).toEqual({ logGroupName: `/aws/lambda/${FN}`, retentionInDays: 30 });

    const repo = h.fake.repos.get(FN);
    const tag = h.docker.pushes[0]?.split(':').at(-1) ?? '';
    const digest = repo?.tags.get(tag);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const imageUri = `${repo?.uri}@${digest}`;
    expect(one('CreateFunction')).toEqual({
      FunctionName: FN,
      Role: ROLE_ARN,
      MemorySize: 1024,
      Timeout: 30,
      EphemeralStorage: { Size: 512 },
      Environment: {
        Variables: {
          CC_S3_BUCKET: BUCKET,
          CC_DB_KEY: 'code-canvas/app.sqlite',
          CC_COOKIE_SECURE: 'always',
          CC_SESSION_SECRET_PARAMETER: '/code-canvas/prod/session-secret',
        },
      },
      PackageType: 'Image',
      Code: { ImageUri: imageUri },
      Architectures: ['x86_64'],
      Description: 'Code Canvas (code-canvas, stage prod)',
      Tags: TAGS,
    });
    expect(one('PutFunctionConcurrency')).toEqual({ FunctionName: FN, ReservedConcurrentExecutions: 10 });
    expect(one('PublishVersion')).toMatchObject({
      FunctionName: FN,
      CodeSha256: digest?.slice('sha256:'.length),
    });
    expect(one('CreateAlias')).toEqual({ FunctionName: FN, Name: 'live', FunctionVersion: '1' });
    expect(one('CreateFunctionUrlConfig')).toEqual({
      FunctionName: FN,
      Qualifier: 'live',
      AuthType: 'NONE',
      InvokeMode: 'RESPONSE_STREAM',
    });
    expect(h.fake.inputs('AddPermission')).toEqual([
      {
        FunctionName: FN,
        Qualifier: 'live',
        StatementId: 'FunctionUrlAllowPublicAccess',
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      },
      {
        FunctionName: FN,
        Qualifier: 'live',
        StatementId: 'FunctionUrlAllowInvokeFunction',
        Action: 'lambda:InvokeFunction',
        Principal: '*',
        InvokedViaFunctionUrl: true,
      },
    ]);

    expect(result).toMatchObject({ url: h.app.url, version: '1', imageUri });
  });

  it('builds one platform with the build metadata, logs in with the ECR token, and pushes a commit-and-time tag', async () => {
    await h.deploy(COMMIT_A);
    expect(h.docker.builds).toHaveLength(1);
    const build = h.docker.builds[0];
    expect(build?.platform).toBe('linux/amd64');
    expect(build?.dockerfile).toBe(`${h.root}/Dockerfile.lambda`);
    expect(build?.buildArgs).toEqual({
      CC_BUILD_VERSION: '0.1.0',
      CC_BUILD_COMMIT: COMMIT_A,
      CC_BUILD_TIME: '2025-11-20T10:00:00Z',
    });
    expect(h.docker.logins).toEqual([{ server: '123456789012.registry.invalid', username: 'AWS' }]);
    expect(h.docker.pushes).toEqual([
      `123456789012.registry.invalid/${FN}:${COMMIT_A.slice(0, 12)}-20251120T100000Z-x86_64`,
    ]);
  });

  it('builds for arm64 and creates an arm64 function when asked', async () => {
    await h.deploy(COMMIT_A, '--arch', 'arm64');
    expect(h.docker.builds[0]?.platform).toBe('linux/arm64');
    expect(h.fake.inputs('CreateFunction')[0]?.Architectures).toEqual(['arm64']);
    expect(h.docker.pushes[0]).toMatch(/-arm64$/);
  });

  it('smoke-tests /healthz, / and /version through the URL, waiting out a cold start, and prints the URL', async () => {
    h.app.coldChecks = 3;
    await h.deploy(COMMIT_A);
    expect(h.app.requests.filter((p) => p === '/healthz')).toHaveLength(4);
    expect(h.app.requests.slice(-2)).toEqual(['/', '/version']);
    const text = h.output.join('\n');
    expect(text).toMatch(/✔ smoke test .* passed \(\/healthz 200 after .*, \/ 200, serving aaaaaaaaaaaa\)/);
    expect(text).toContain(`is live: ${h.app.url}`);
    expect(text).toMatch(/step\s+resource\s+result\s+time/);
    expect(h.output.filter((l) => l.includes('✔'))).toHaveLength(12);
  });

  it('retries creating the function while the new role propagates', async () => {
    h.fake.rolePropagationFailures = 3;
    await h.deploy(COMMIT_A);
    expect(h.fake.inputs('CreateFunction')).toHaveLength(4);
    expect(h.fake.functions.get(FN)?.aliases.get('live')).toBe('1');
  });
});
