/**
 * `npm run destroy`: removes, in this order, the Function URL, its two permissions, the function
 * (with its versions and alias), its log group, the role and the image repository. The database
 * bucket and the session secret are kept unless `--delete-data` and the bucket's name typed out:
 * deleting the secret logs everybody out, so it goes only with the data. Each removal checks
 * first, so a re-run after a failure finishes the job.
 *
 * Only what carries this tool's tags (`managed-by`, app, stage) is deleted: a same-named function,
 * role, repository, log group, bucket or parameter someone else made is left alone, with a line
 * saying so (and so are the URL and permissions of a function that is not ours).
 */
import {
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand as ListLogGroupTagsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ListTagsForResourceCommand as ListRepositoryTagsCommand,
} from '@aws-sdk/client-ecr';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-lambda';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ListTagsForResourceCommand as ListParameterTagsCommand,
} from '@aws-sdk/client-ssm';
import type { AwsClients, Identity } from '../aws.ts';
import { call, DeployError, find } from '../errors.ts';
import { isManaged, resourceNames } from '../names.ts';
import { parsePolicy } from '../policies.ts';
import { type Print, Reporter, type StepResult } from '../report.ts';
import { LIVE_ALIAS, type Settings } from '../settings.ts';
import { bucketExists, readBucketTags } from '../steps/bucket.ts';
import { URL_PERMISSIONS } from '../steps/url.ts';
import { emptyAndDeleteBucket } from './empty-bucket.ts';

export interface DestroyDeps {
  settings: Settings;
  identity: Identity;
  clients: AwsClients;
  print: Print;
  /** Asks the operator a question on the terminal; undefined when there is none. */
  ask: ((question: string) => Promise<string>) | undefined;
}

const NOT_FOUND = [
  'ResourceNotFoundException',
  'NoSuchEntityException',
  'NoSuchEntity',
  'RepositoryNotFoundException',
  'ParameterNotFound',
];

const NOT_OURS: StepResult = {
  outcome: 'kept',
  detail: 'not made by this deploy (no managed-by tag for this app and stage): left alone',
};

/** Removes a thing when `exists`, or reports it absent; in a dry run only reports. */
async function remove(
  dryRun: boolean,
  exists: boolean,
  detail: string,
  run: () => Promise<unknown>,
): Promise<StepResult> {
  if (!exists) return { outcome: 'absent' };
  if (dryRun) return { outcome: 'would delete', detail };
  await run();
  return { outcome: 'deleted', detail };
}

async function confirm(deps: DestroyDeps, bucket: string): Promise<void> {
  const { settings, ask } = deps;
  if (settings.dryRun) return;
  if (settings.deleteData) {
    const typed =
      settings.confirmBucket ??
      (await ask?.(
        `This deletes every version of the database and the session secret (everybody is logged out). Type the bucket name (${bucket}) to confirm: `,
      ));
    if (typed?.trim() !== bucket) {
      throw new DeployError(`destroy: the bucket name was not confirmed; nothing was deleted`, {
        fix: ask ? 'type the bucket name exactly' : `pass --confirm ${bucket} (no terminal to ask on)`,
      });
    }
    return;
  }
  if (settings.yes) return;
  if (!ask)
    throw new DeployError('destroy: no terminal to confirm on; nothing was deleted', { fix: 'pass --yes' });
  const answer = await ask(
    `Remove the function, its URL, role, logs and image repository of stage ${settings.stage}? [y/N] `,
  );
  if (!/^y(es)?$/i.test(answer.trim())) throw new DeployError('destroy: not confirmed; nothing was deleted');
}

export async function runDestroy(deps: DestroyDeps): Promise<void> {
  const { settings, clients, print } = deps;
  const { lambda, iam, ecr, logs, s3, ssm } = clients;
  const names = resourceNames(settings, deps.identity);
  const { dryRun } = settings;
  const FunctionName = names.functionName;
  const Qualifier = LIVE_ALIAS;
  const resource = `${FunctionName}:${Qualifier}`;
  await confirm(deps, names.bucket);
  print(
    `${dryRun ? 'Dry run: destroy' : 'Destroying'} ${settings.app}, stage ${settings.stage} (${deps.identity.region})`,
  );
  const reporter = new Reporter(print);
  // GetFunction returns the function's tags (to callers allowed lambda:ListTags).
  const fn = await find('lambda: get function', FunctionName, NOT_FOUND, () =>
    lambda.send(new GetFunctionCommand({ FunctionName })),
  );
  const fnOurs = fn !== undefined && isManaged(fn.Tags, names);

  await reporter.step('url', resource, async () => {
    if (fn && !fnOurs) return NOT_OURS;
    const url = fn
      ? await find('lambda: get function URL of', resource, NOT_FOUND, () =>
          lambda.send(new GetFunctionUrlConfigCommand({ FunctionName, Qualifier })),
        )
      : undefined;
    return remove(dryRun, url !== undefined, url?.FunctionUrl ?? '', () =>
      call('lambda: delete function URL of', resource, () =>
        lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName, Qualifier })),
      ),
    );
  });
  await reporter.step('permissions', resource, async () => {
    if (fn && !fnOurs) return NOT_OURS;
    const policy = fn
      ? await find('lambda: get policy of', resource, NOT_FOUND, () =>
          lambda.send(new GetPolicyCommand({ FunctionName, Qualifier })),
        )
      : undefined;
    const sids = new Set((parsePolicy(policy?.Policy)?.Statement ?? []).map((s) => s.Sid));
    const ours = URL_PERMISSIONS.filter((p) => sids.has(p.StatementId));
    return remove(dryRun, ours.length > 0, `${ours.length} public permission(s)`, async () => {
      for (const p of ours) {
        await find('lambda: remove permission from', resource, NOT_FOUND, () =>
          lambda.send(new RemovePermissionCommand({ FunctionName, Qualifier, StatementId: p.StatementId })),
        );
      }
    });
  });
  await reporter.step('function', FunctionName, async () => {
    if (fn && !fnOurs) return NOT_OURS;
    return remove(dryRun, fn !== undefined, 'with its versions and alias', () =>
      find('lambda: delete function', FunctionName, NOT_FOUND, () =>
        lambda.send(new DeleteFunctionCommand({ FunctionName })),
      ),
    );
  });
  await reporter.step('log group', names.logGroup, async () => {
    const out = await call('logs: describe log group', names.logGroup, () =>
      logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: names.logGroup })),
    );
    const exists = (out.logGroups ?? []).some((g) => g.logGroupName === names.logGroup);
    if (exists) {
      const tags = await call('logs: list tags of', names.logGroup, () =>
        logs.send(new ListLogGroupTagsCommand({ resourceArn: names.logGroupArn })),
      );
      if (!isManaged(tags.tags, names)) return NOT_OURS;
    }
    return remove(dryRun, exists, '', () =>
      find('logs: delete log group', names.logGroup, NOT_FOUND, () =>
        logs.send(new DeleteLogGroupCommand({ logGroupName: names.logGroup })),
      ),
    );
  });
  await reporter.step('role', names.role, async () => {
    const RoleName = names.role;
    // GetRole returns the role's tags.
    const role = await find('iam: get role', RoleName, NOT_FOUND, () =>
      iam.send(new GetRoleCommand({ RoleName })),
    );
    if (role && !isManaged(role.Role?.Tags, names)) return NOT_OURS;
    return remove(dryRun, role !== undefined, 'with its policies', async () => {
      // IAM refuses to delete a role that still has policies.
      const attached = await call('iam: list attached policies of', RoleName, () =>
        iam.send(new ListAttachedRolePoliciesCommand({ RoleName, MaxItems: 1000 })),
      );
      for (const p of attached.AttachedPolicies ?? []) {
        await call('iam: detach policy from', RoleName, () =>
          iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: p.PolicyArn })),
        );
      }
      const inline = await call('iam: list inline policies of', RoleName, () =>
        iam.send(new ListRolePoliciesCommand({ RoleName, MaxItems: 1000 })),
      );
      for (const PolicyName of inline.PolicyNames ?? []) {
        await call('iam: delete inline policy of', RoleName, () =>
          iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })),
        );
      }
      await call('iam: delete role', RoleName, () => iam.send(new DeleteRoleCommand({ RoleName })));
    });
  });
  await reporter.step('repository', names.repository, async () => {
    const repositoryName = names.repository;
    const found = await find('ecr: describe repository', repositoryName, NOT_FOUND, () =>
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })),
    );
    const repo = found?.repositories?.[0];
    if (repo) {
      const tags = await call('ecr: list tags of', repositoryName, () =>
        ecr.send(new ListRepositoryTagsCommand({ resourceArn: repo.repositoryArn })),
      );
      if (!isManaged(tags.tags, names)) return NOT_OURS;
    }
    return remove(dryRun, repo !== undefined, 'with its images', () =>
      find('ecr: delete repository', repositoryName, NOT_FOUND, () =>
        ecr.send(new DeleteRepositoryCommand({ repositoryName, force: true })),
      ),
    );
  });
  await reporter.step('bucket', names.bucket, async () => {
    const exists = await bucketExists(s3, names.bucket, deps.identity.region);
    if (!exists) return { outcome: 'absent' };
    if (!settings.deleteData) return { outcome: 'kept', detail: 'the database; --delete-data removes it' };
    if (!isManaged(await readBucketTags(s3, names.bucket), names)) return NOT_OURS;
    return remove(dryRun, true, 'every object version, then the bucket', () =>
      emptyAndDeleteBucket(s3, names.bucket),
    );
  });
  await reporter.step('secret', names.sessionSecret, async () => {
    const Name = names.sessionSecret;
    const found = await find('ssm: get parameter', Name, NOT_FOUND, () =>
      ssm.send(new GetParameterCommand({ Name })),
    );
    if (!found) return { outcome: 'absent' };
    if (!settings.deleteData) {
      return { outcome: 'kept', detail: 'the session signing key; --delete-data removes it' };
    }
    const tags = await call('ssm: list tags of', Name, () =>
      ssm.send(new ListParameterTagsCommand({ ResourceType: 'Parameter', ResourceId: Name })),
    );
    if (!isManaged(tags.TagList, names)) return NOT_OURS;
    return remove(dryRun, true, 'everybody is logged out', () =>
      find('ssm: delete parameter', Name, NOT_FOUND, () => ssm.send(new DeleteParameterCommand({ Name }))),
    );
  });
  print('');
  print(reporter.summary());
}
