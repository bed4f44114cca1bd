/**
 * Step 5, the function ($LATEST): an image function with the architecture, memory, timeout, /tmp
 * size and app settings asked for, running the pushed digest. Created (retrying while a new role
 * propagates) or updated, with the SDK waiters between changes so each one starts from a settled
 * function. Publishing a version and moving `live` is release.ts.
 */
import {
  CreateFunctionCommand,
  type FunctionConfiguration,
  GetFunctionCommand,
  type LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import type { DeployContext, Timing } from '../context.ts';
import { awsError, call, DeployError, errorCode, find } from '../errors.ts';
import { Changes, type StepResult, seconds } from '../report.ts';

/** The app settings the function runs with (the app's own config.ts reads them). */
export function functionEnvironment(ctx: Pick<DeployContext, 'settings' | 'names'>): Record<string, string> {
  const { settings, names } = ctx;
  return {
    CC_S3_BUCKET: names.bucket,
    CC_DB_KEY: names.dbKey,
    // Function URLs are HTTPS only, so session cookies can always be Secure.
    CC_COOKIE_SECURE: 'always',
    // The signing key every instance shares, read once at start (steps/session-secret.ts).
    CC_SESSION_SECRET_PARAMETER: names.sessionSecret,
    ...(settings.maxStalenessMs === undefined
      ? {}
      : { CC_MAX_STALENESS_MS: String(settings.maxStalenessMs) }),
    ...settings.appEnv,
  };
}

/** The configuration fields this tool owns, as UpdateFunctionConfiguration takes them. */
export function desiredConfiguration(ctx: DeployContext, roleArn: string) {
  return {
    FunctionName: ctx.names.functionName,
    Role: roleArn,
    MemorySize: ctx.settings.memoryMb,
    Timeout: ctx.settings.timeoutS,
    EphemeralStorage: { Size: ctx.settings.ephemeralStorageMb },
    Environment: { Variables: functionEnvironment(ctx) },
  };
}

/** Which owned configuration fields of `current` differ from `desired`. */
export function configurationDiff(
  current: FunctionConfiguration,
  desired: ReturnType<typeof desiredConfiguration>,
): string[] {
  const diff: string[] = [];
  if (current.Role !== desired.Role) diff.push('role');
  if (current.MemorySize !== desired.MemorySize) diff.push(`memory ${desired.MemorySize} MB`);
  if (current.Timeout !== desired.Timeout) diff.push(`timeout ${desired.Timeout} s`);
  if (current.EphemeralStorage?.Size !== desired.EphemeralStorage.Size)
    diff.push(`/tmp ${desired.EphemeralStorage.Size} MB`);
  const a = current.Environment?.Variables ?? {};
  const b = desired.Environment.Variables;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  if ([...keys].some((k) => a[k] !== b[k])) diff.push('environment');
  return diff;
}

/** Waits with the SDK waiter, reporting a failed or stuck function with its own reason. */
async function settle(
  lambda: LambdaClient,
  timing: Timing,
  FunctionName: string,
  waiter: typeof waitUntilFunctionActiveV2,
  what: string,
): Promise<void> {
  try {
    await waiter({ client: lambda, maxWaitTime: timing.waiterMaxWaitS }, { FunctionName });
  } catch (err) {
    const now = await lambda.send(new GetFunctionCommand({ FunctionName })).catch(() => undefined);
    const c = now?.Configuration;
    const reason = c?.LastUpdateStatusReason ?? c?.StateReason ?? (err as Error).message.slice(0, 200);
    throw new DeployError(`lambda: function ${FunctionName} did not become ${what}: ${reason}`, {
      fix: 'fix the cause named here (e.g. the image or role), then re-run; `npm run logs` shows the function’s output',
      cause: err,
    });
  }
}

const propagating = (err: unknown) =>
  errorCode(err) === 'InvalidParameterValueException' && /role|assume/i.test((err as Error).message);
const busy = (err: unknown) => errorCode(err) === 'ResourceConflictException';

/** Retries `request` while AWS refuses it for a passing reason, for at most `limitMs`. */
async function retrying<T>(
  timing: Timing,
  limitMs: number,
  passing: (err: unknown) => boolean,
  request: () => Promise<T>,
): Promise<T> {
  const deadline = timing.now() + limitMs;
  for (;;) {
    try {
      return await request();
    } catch (err) {
      if (!passing(err) || timing.now() + timing.retryDelayMs > deadline) throw err;
      await timing.sleep(timing.retryDelayMs);
    }
  }
}

export async function ensureFunction(ctx: DeployContext): Promise<StepResult> {
  const { lambda } = ctx.clients;
  const { timing } = ctx;
  const FunctionName = ctx.names.functionName;
  const desired = desiredConfiguration(ctx, ctx.state.roleArn ?? ctx.names.roleArn);
  const Architectures = [ctx.settings.architecture];
  const ImageUri = ctx.state.imageUri;
  const changes = new Changes();

  const found = await find('lambda: get function', FunctionName, ['ResourceNotFoundException'], () =>
    lambda.send(new GetFunctionCommand({ FunctionName })),
  );
  ctx.state.functionExists = found !== undefined;
  if (!found) {
    changes.creating = true;
    changes.add(`${ctx.settings.architecture}, ${desired.MemorySize} MB, ${desired.Timeout} s`, async () => {
      const input = {
        ...desired,
        PackageType: 'Image' as const,
        Code: { ImageUri },
        Architectures,
        Description: `Code Canvas (${ctx.settings.app}, stage ${ctx.settings.stage})`,
        Tags: ctx.names.tags,
      };
      try {
        await retrying(timing, timing.rolePropagationMs, propagating, () =>
          lambda.send(new CreateFunctionCommand(input)),
        );
      } catch (err) {
        if (!propagating(err)) throw awsError(err, 'lambda: create function', FunctionName);
        throw new DeployError(
          `lambda: role ${ctx.names.role} still cannot be assumed by Lambda after ${seconds(timing.rolePropagationMs)}`,
          {
            fix: 'IAM is still propagating the new role: re-run in a minute (the deploy resumes)',
            cause: err,
          },
        );
      }
      ctx.state.functionExists = true;
      await settle(lambda, timing, FunctionName, waitUntilFunctionActiveV2, 'active');
    });
    return changes.apply(ctx.dryRun);
  }

  const current = found.Configuration ?? {};
  const configDiff = configurationDiff(current, desired);
  const archChanged = (current.Architectures ?? ['x86_64'])[0] !== ctx.settings.architecture;
  // An earlier run's create or update that failed (e.g. the image could not be optimised) leaves
  // $LATEST Failed, possibly with the right image and settings already: publishing it as it is
  // would put a broken version live. Treat it as changed, so its code is applied again.
  const failed = current.State === 'Failed' || current.LastUpdateStatus === 'Failed';
  const codeChanged = ImageUri === undefined || found.Code?.ImageUri !== ImageUri || archChanged || failed;
  const settleFirst = current.State === 'Pending' || current.LastUpdateStatus === 'InProgress';
  if (configDiff.length > 0) {
    changes.add(configDiff.join(', '), async () => {
      // A run interrupted mid-update leaves the function busy; start from a settled one.
      if (settleFirst) await settle(lambda, timing, FunctionName, waitUntilFunctionUpdatedV2, 'updated');
      await call('lambda: update configuration of', FunctionName, () =>
        retrying(
          timing,
          timing.rolePropagationMs,
          (e) => busy(e) || propagating(e),
          () => lambda.send(new UpdateFunctionConfigurationCommand(desired)),
        ),
      );
      await settle(lambda, timing, FunctionName, waitUntilFunctionUpdatedV2, 'updated');
    });
  }
  if (codeChanged) {
    const why = failed
      ? ` again (it was left Failed: ${current.LastUpdateStatusReason ?? current.StateReason ?? 'no reason given'})`
      : '';
    const label = archChanged ? `image and architecture ${ctx.settings.architecture}` : 'image';
    changes.add(`${label}${why}`, async () => {
      if (settleFirst && configDiff.length === 0) {
        await settle(lambda, timing, FunctionName, waitUntilFunctionUpdatedV2, 'updated');
      }
      await call('lambda: update code of', FunctionName, () =>
        retrying(timing, timing.rolePropagationMs, busy, () =>
          lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ImageUri, Architectures })),
        ),
      );
      await settle(lambda, timing, FunctionName, waitUntilFunctionUpdatedV2, 'updated');
    });
  }
  ctx.state.functionPending = ctx.dryRun && changes.items.length > 0;
  return changes.apply(ctx.dryRun, 'image and configuration as asked');
}
