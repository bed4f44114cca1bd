/**
 * The execution role: trusted by Lambda only, with three inline policies the deploy owns wholly —
 * the database objects, the function's own log group, and its session secret — and nothing more.
 * A role made by an older release has the AWS-managed AWSLambdaBasicExecutionRole attached (logs
 * in every group of the account): it is detached once the scoped log policy is in place, so the
 * function is never without its logging rights. A new role takes a while to propagate; the
 * function step retries for it.
 */
import {
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { DeployContext } from '../context.ts';
import { call, find } from '../errors.ts';
import { basicExecutionPolicyArn, parsePolicy, rolePolicies, samePolicy, trustPolicy } from '../policies.ts';
import { Changes, type StepResult } from '../report.ts';

const NOT_FOUND = ['NoSuchEntityException', 'NoSuchEntity'];

/** What each inline policy grants, as the step reports it. */
function grantLabel(policy: string, ctx: DeployContext): string {
  if (policy === 'database-object') return `database policy: ${ctx.names.dbPrefix || '(whole bucket) '}*`;
  if (policy === 'logs') return `log policy: ${ctx.names.logGroup} only`;
  return `session secret policy: ${ctx.names.sessionSecret} only`;
}

export async function ensureRole(ctx: DeployContext): Promise<StepResult> {
  const { iam } = ctx.clients;
  const RoleName = ctx.names.role;
  const changes = new Changes();
  const trust = trustPolicy();
  const basic = basicExecutionPolicyArn(ctx.identity.partition);

  const found = await find('iam: get role', RoleName, NOT_FOUND, () =>
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

  for (const [PolicyName, document] of Object.entries(rolePolicies(ctx.names))) {
    const current = found
      ? await find('iam: get inline policy of', RoleName, NOT_FOUND, () =>
          iam.send(new GetRolePolicyCommand({ RoleName, PolicyName })),
        )
      : undefined;
    if (current && samePolicy(parsePolicy(current.PolicyDocument), document)) continue;
    changes.add(grantLabel(PolicyName, ctx), () =>
      call(`iam: put inline policy ${PolicyName} on`, RoleName, () =>
        iam.send(
          new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: JSON.stringify(document) }),
        ),
      ),
    );
  }

  const attached = found
    ? await call('iam: list attached policies of', RoleName, () =>
        iam.send(new ListAttachedRolePoliciesCommand({ RoleName, MaxItems: 1000 })),
      )
    : undefined;
  if (attached?.AttachedPolicies?.some((p) => p.PolicyArn === basic)) {
    changes.add('detach AWSLambdaBasicExecutionRole (logs in every group)', () =>
      call('iam: detach AWSLambdaBasicExecutionRole from', RoleName, () =>
        iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: basic })),
      ),
    );
  }
  return changes.apply(ctx.dryRun, 'trusts Lambda; database objects, own log group and session secret only');
}
