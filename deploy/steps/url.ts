/**
 * Step 6, the Function URL on the `live` alias: public (auth NONE), with the invoke mode the image's
 * adapter uses, and both permissions a public URL needs — lambda:InvokeFunctionUrl for auth type
 * NONE, and lambda:InvokeFunction when invoked via a Function URL. With only one, every request
 * is a 403.
 */
import {
  AddPermissionCommand,
  CreateFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  UpdateFunctionUrlConfigCommand,
} from '@aws-sdk/client-lambda';
import type { DeployContext } from '../context.ts';
import { call, find } from '../errors.ts';
import { type PolicyStatement, parsePolicy } from '../policies.ts';
import { Changes, type StepResult } from '../report.ts';
import { LIVE_ALIAS } from '../settings.ts';

/** The two public-URL permissions, as AddPermission inputs (without FunctionName and Qualifier). */
export const URL_PERMISSIONS = [
  {
    StatementId: 'FunctionUrlAllowPublicAccess',
    Action: 'lambda:InvokeFunctionUrl',
    Principal: '*',
    FunctionUrlAuthType: 'NONE' as const,
    condition: ['lambda:FunctionUrlAuthType', 'NONE'],
  },
  {
    StatementId: 'FunctionUrlAllowInvokeFunction',
    Action: 'lambda:InvokeFunction',
    Principal: '*',
    InvokedViaFunctionUrl: true,
    condition: ['lambda:InvokedViaFunctionUrl', 'true'],
  },
] as const;

function grants(
  statement: PolicyStatement | undefined,
  permission: (typeof URL_PERMISSIONS)[number],
): boolean {
  if (statement?.Effect !== 'Allow') return false;
  const actions = [statement.Action].flat();
  const principal = statement.Principal as string | { AWS?: string } | undefined;
  const everyone = principal === '*' || (typeof principal === 'object' && principal?.AWS === '*');
  const [key, value] = permission.condition;
  const conditionHolds = Object.values(statement.Condition ?? {}).some((c) =>
    [c[key]].flat().some((v) => String(v).toLowerCase() === value.toLowerCase()),
  );
  return everyone && actions.includes(permission.Action) && conditionHolds;
}

export async function ensureUrl(ctx: DeployContext): Promise<StepResult> {
  const { lambda } = ctx.clients;
  const FunctionName = ctx.names.functionName;
  const Qualifier = LIVE_ALIAS;
  const InvokeMode = ctx.invokeMode;
  const changes = new Changes();
  const resource = `${FunctionName}:${Qualifier}`;

  const current = ctx.state.functionExists
    ? await find('lambda: get function URL of', resource, ['ResourceNotFoundException'], () =>
        lambda.send(new GetFunctionUrlConfigCommand({ FunctionName, Qualifier })),
      )
    : undefined;
  ctx.state.url = current?.FunctionUrl;
  if (!current) {
    changes.creating = true;
    changes.add(`auth NONE, ${InvokeMode}`, async () => {
      const out = await call('lambda: create function URL for', resource, () =>
        lambda.send(
          new CreateFunctionUrlConfigCommand({ FunctionName, Qualifier, AuthType: 'NONE', InvokeMode }),
        ),
      );
      ctx.state.url = out.FunctionUrl;
    });
  } else if (current.AuthType !== 'NONE' || (current.InvokeMode ?? 'BUFFERED') !== InvokeMode) {
    changes.add(`auth NONE, ${InvokeMode}`, () =>
      call('lambda: update function URL of', resource, () =>
        lambda.send(
          new UpdateFunctionUrlConfigCommand({ FunctionName, Qualifier, AuthType: 'NONE', InvokeMode }),
        ),
      ),
    );
  }

  const policy = current
    ? await find('lambda: get policy of', resource, ['ResourceNotFoundException'], () =>
        lambda.send(new GetPolicyCommand({ FunctionName, Qualifier })),
      )
    : undefined;
  const statements = parsePolicy(policy?.Policy)?.Statement ?? [];
  for (const permission of URL_PERMISSIONS) {
    const { condition: _, ...input } = permission;
    const existing = statements.find((s) => s.Sid === permission.StatementId);
    if (grants(existing, permission)) continue;
    changes.add(`permission ${permission.Action}`, async () => {
      if (existing) {
        // Same id, different grant: AddPermission refuses a duplicate id, so replace it.
        await call('lambda: remove permission from', resource, () =>
          lambda.send(
            new RemovePermissionCommand({ FunctionName, Qualifier, StatementId: permission.StatementId }),
          ),
        );
      }
      await call(`lambda: add ${permission.Action} permission to`, resource, () =>
        lambda.send(new AddPermissionCommand({ FunctionName, Qualifier, ...input })),
      );
    });
  }
  return changes.apply(ctx.dryRun, `auth NONE, ${InvokeMode}, both public permissions`);
}
