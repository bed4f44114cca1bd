/**
 * The operator policy in docs/deploy.md allows every call the deploy tooling makes: a fresh
 * deploy, a re-run that changes everything (code, settings, concurrency, an old role's managed
 * policy), a rollback, `logs`, and `destroy --delete-data`, against the fake account — each
 * recorded call mapped to the IAM action(s) and resource ARN AWS authorises it as. Calls the fake
 * cannot see (Docker's push to ECR, the index repair) are listed by hand.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLogs } from '../../deploy/commands/logs.ts';
import { trustPolicy } from '../../deploy/policies.ts';
import { parseSettings } from '../../deploy/settings.ts';
import type { Call } from './support/fake-aws.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const BUCKET = `code-canvas-prod-${ACCOUNT}-${REGION}`;
const BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
/** The service a role is passed to: Lambda, as the role's trust policy names it. */
const LAMBDA_SERVICE =
  (trustPolicy().Statement[0]?.Principal as { Service?: string } | undefined)?.Service ?? '';

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}
interface Need {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

function documentedPolicy(): Statement[] {
  const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## IAM permissions for the operator'));
  const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1] ?? '';
  return (JSON.parse(json.replaceAll('ACCOUNT', ACCOUNT)) as { Statement: Statement[] }).Statement;
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);

function allows(policy: Statement[], need: Need): boolean {
  return policy.some((s) => {
    if (s.Effect !== 'Allow') return false;
    if (![s.Action].flat().some((a) => glob(a).test(need.action))) return false;
    if (![s.Resource].flat().some((r) => glob(r).test(need.resource))) return false;
    // The conditions these statements use, evaluated against what the call passes.
    return Object.values(s.Condition ?? {}).every((test) =>
      Object.entries(test).every(([key, value]) => need.context?.[key] === value),
    );
  });
}

/** What AWS authorises one call as. */
function needs(c: Call): Need[] {
  const i = c.input as Record<string, unknown>;
  const on = (resource: string, ...actions: string[]): Need[] =>
    actions.map((action) => ({ action, resource }));
  switch (c.service) {
    case 'sts':
      return [];
    case 's3': {
      const bucket = `arn:aws:s3:::${i.Bucket}`;
      if (c.command === 'DeleteObjects') {
        const objects = (i.Delete as unknown as { Objects: { Key: string }[] }).Objects;
        return objects.flatMap((o) => on(`${bucket}/${o.Key}`, 's3:DeleteObject', 's3:DeleteObjectVersion'));
      }
      const actions: Record<string, string[]> = {
        HeadBucket: ['s3:ListBucket'],
        CreateBucket: ['s3:CreateBucket', 's3:PutBucketOwnershipControls'],
        GetBucketEncryption: ['s3:GetEncryptionConfiguration'],
        PutBucketEncryption: ['s3:PutEncryptionConfiguration'],
        GetPublicAccessBlock: ['s3:GetBucketPublicAccessBlock'],
        PutPublicAccessBlock: ['s3:PutBucketPublicAccessBlock'],
        GetBucketLifecycleConfiguration: ['s3:GetLifecycleConfiguration'],
        PutBucketLifecycleConfiguration: ['s3:PutLifecycleConfiguration'],
        ListObjectVersions: ['s3:ListBucketVersions'],
      };
      return on(bucket, ...(actions[c.command] ?? [`s3:${c.command}`]));
    }
    case 'lambda': {
      const fn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${i.FunctionName}${i.Qualifier ? `:${i.Qualifier}` : ''}`;
      const out = on(fn, `lambda:${c.command}`);
      // GetFunction returns the tags destroy checks only to callers allowed lambda:ListTags.
      if (c.command === 'GetFunction') out.push(...on(fn, 'lambda:ListTags'));
      if (c.command === 'CreateFunction') out.push(...on(fn, 'lambda:TagResource'));
      if (typeof i.Role === 'string') {
        out.push({
          action: 'iam:PassRole',
          resource: i.Role,
          context: { 'iam:PassedToService': LAMBDA_SERVICE },
        });
      }
      return out;
    }
    case 'ecr': {
      if (c.command === 'GetAuthorizationToken') return on('*', 'ecr:GetAuthorizationToken');
      const name =
        (i.repositoryName as string | undefined) ?? (i.repositoryNames as string[] | undefined)?.[0];
      const repo =
        (i.resourceArn as string | undefined) ?? `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
      return on(repo, `ecr:${c.command}`, ...(c.command === 'CreateRepository' ? ['ecr:TagResource'] : []));
    }
    case 'iam': {
      const role = `arn:aws:iam::${ACCOUNT}:role/${i.RoleName}`;
      if (c.command === 'DetachRolePolicy' || c.command === 'AttachRolePolicy') {
        return [
          { action: `iam:${c.command}`, resource: role, context: { 'iam:PolicyARN': i.PolicyArn as string } },
        ];
      }
      return on(role, `iam:${c.command}`, ...(c.command === 'CreateRole' ? ['iam:TagRole'] : []));
    }
    case 'logs': {
      if (c.command === 'DescribeLogGroups') return on('*', 'logs:DescribeLogGroups');
      const group =
        (i.resourceArn as string | undefined) ??
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${i.logGroupName}`;
      return on(group, `logs:${c.command}`, ...(c.command === 'CreateLogGroup' ? ['logs:TagResource'] : []));
    }
    case 'ssm': {
      const name = (i.Name as string | undefined) ?? (i.ResourceId as string);
      const parameter = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
      return on(
        parameter,
        `ssm:${c.command}`,
        ...(c.command === 'PutParameter' ? ['ssm:AddTagsToResource'] : []),
      );
    }
    default:
      throw new Error(`no IAM mapping for ${c.service}:${c.command}`);
  }
}

/** Calls the fake account does not see: Docker's push and pull, Lambda's own repository grant, the index repair. */
const REPOSITORY = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/code-canvas-prod`;
const UNSEEN: Need[] = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:GetRepositoryPolicy',
  'ecr:SetRepositoryPolicy',
  'ecr:BatchDeleteImage',
].map((action) => ({ action, resource: REPOSITORY }));

describe('the operator policy in docs/deploy.md', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  async function everyCall(): Promise<Call[]> {
    await h.deploy(COMMIT_A);
    h.fake.roles.get('code-canvas-prod-function')?.attached.add(BASIC);
    await h.deploy(COMMIT_B, '--memory', '2048', '--max-concurrency', '20');
    await h.deploy(COMMIT_B, '--memory', '2048', '--max-concurrency', 'none');
    await h.rollback();
    await runLogs({
      settings: parseSettings(['logs', '--no-follow'], {}),
      identity: h.fake.identity,
      clients: h.fake.clients,
      print: () => {},
    });
    await h.destroy(['--delete-data', '--confirm', BUCKET]);
    return h.fake.calls;
  }

  it('allows every call of deploy, rollback, logs and destroy --delete-data, and nothing of other apps', async () => {
    const policy = documentedPolicy();
    const calls = await everyCall();
    const commands = new Set(calls.map((c) => `${c.service}:${c.command}`));
    // The scenario reaches every service and the calls this issue added.
    for (const expected of [
      'iam:DetachRolePolicy',
      'lambda:PutFunctionConcurrency',
      'lambda:DeleteFunctionConcurrency',
      'ssm:PutParameter',
      'ssm:DeleteParameter',
      's3:PutBucketTagging',
      'ecr:ListTagsForResource',
      'logs:ListTagsForResource',
      'logs:FilterLogEvents',
    ]) {
      expect(commands, expected).toContain(expected);
    }
    const denied = [...calls.flatMap(needs), ...UNSEEN]
      .filter((n) => !allows(policy, n))
      .map((n) => `${n.action} on ${n.resource}`);
    expect([...new Set(denied)]).toEqual([]);

    expect(
      allows(policy, {
        action: 'lambda:DeleteFunction',
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:payroll`,
      }),
    ).toBe(false);
    expect(
      allows(policy, {
        action: 'iam:AttachRolePolicy',
        resource: `arn:aws:iam::${ACCOUNT}:role/code-canvas-prod-function`,
        context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
      }),
    ).toBe(false);
  });

  it('is checked for real: without one of its actions a call is reported', async () => {
    const calls = await everyCall();
    const policy = documentedPolicy().map((s) => ({
      ...s,
      Action: [s.Action].flat().filter((a) => a !== 'lambda:ListTags'),
    }));
    const denied = calls.flatMap(needs).filter((n) => !allows(policy, n));
    expect(denied.map((n) => n.action)).toContain('lambda:ListTags');
  });
});
