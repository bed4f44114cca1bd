/**
 * Step 4, the execution role: trusted by Lambda only, logging through the AWS-managed basic
 * execution policy, and one inline policy granting the database object and its versions — nothing
 * more. A new role takes a while to propagate; the function step retries for it.
 */
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { DeployContext } from '../context.ts';
import { call, find } from '../errors.ts';
import {
  basicExecutionPolicyArn,
  databasePolicy,
  parsePolicy,
  samePolicy,
  trustPolicy,
} from '../policies.ts';
import { Changes, type StepResult } from '../report.ts';

export async function ensureRole(ctx: DeployContext): Promise<StepResult> {
  const { iam } = ctx.clients;
  const { role: RoleName, rolePolicy: PolicyName } = ctx.names;
  const changes = new Changes();
  const trust = trustPolicy();
  const inline = databasePolicy(ctx.names);
  const basic = basicExecutionPolicyArn(ctx.identity.partition);

  const found = await find('iam: get role', RoleName, ['NoSuchEntityException', 'NoSuchEntity'], () =>
    iam.send(new GetRoleCommand({ RoleName })),
  );
  ctx.state.roleArn = found?.Role?.Arn ?? ctx.names.roleArn;
  if (!found) {
    changes.creating = true;
    changes.add('trusts Lambda', async () => {
      const out = await call('iam: create role', RoleName, () =>
        iam.send(
          new CreateRoleCommand({
            RoleName,
            AssumeRolePolicyDocument: JSON.stringify(trust),
            Description: `Code Canvas function role (${ctx.settings.app}, stage ${ctx.settings.stage})`,
            Tags: Object.entries(ctx.names.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
      ctx.state.roleArn = out.Role?.Arn ?? ctx.names.roleArn;
    });
  } else if (!samePolicy(parsePolicy(found.Role?.AssumeRolePolicyDocument), trust)) {
    changes.add('trust policy', () =>
      call('iam: update trust policy of', RoleName, () =>
        iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(trust) })),
      ),
    );
  }

  const attached = found
    ? await call('iam: list attached policies of', RoleName, () =>
        iam.send(new ListAttachedRolePoliciesCommand({ RoleName, MaxItems: 1000 })),
      )
    : undefined;
  if (!attached?.AttachedPolicies?.some((p) => p.PolicyArn === basic)) {
    changes.add('basic execution policy', () =>
      call('iam: attach AWSLambdaBasicExecutionRole to', RoleName, () =>
        iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: basic })),
      ),
    );
  }

  const current = found
    ? await find('iam: get inline policy of', RoleName, ['NoSuchEntityException', 'NoSuchEntity'], () =>
        iam.send(new GetRolePolicyCommand({ RoleName, PolicyName })),
      )
    : undefined;
  if (!current || !samePolicy(parsePolicy(current.PolicyDocument), inline)) {
    changes.add(`database policy: ${ctx.names.dbKey} only`, () =>
      call('iam: put inline policy on', RoleName, () =>
        iam.send(new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: JSON.stringify(inline) })),
      ),
    );
  }
  return changes.apply(ctx.dryRun, 'trusts Lambda, logs, database object only');
}
