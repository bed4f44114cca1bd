/**
 * Step 5b, the release: publish $LATEST as a version when it differs from what `live` serves, and
 * point `live` at it. Lambda publishes no duplicate: when $LATEST has not changed since the last
 * version, PublishVersion answers that version, so a run interrupted between publishing and moving
 * the alias resumes cleanly.
 */
import {
  CreateAliasCommand,
  type FunctionConfiguration,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  waitUntilFunctionUpdatedV2,
  waitUntilPublishedVersionActive,
} from '@aws-sdk/client-lambda';
import type { DeployContext, Timing } from '../context.ts';
import { call, DeployError, find } from '../errors.ts';
import { formatMigrations, type PublishedVersion } from '../migrations.ts';
import { Changes, type StepResult } from '../report.ts';
import { LIVE_ALIAS } from '../settings.ts';

/** Every published version of the function (not $LATEST), ascending, with its Description. */
export async function listVersions(lambda: LambdaClient, FunctionName: string): Promise<PublishedVersion[]> {
  const versions: PublishedVersion[] = [];
  let Marker: string | undefined;
  do {
    const page = await call('lambda: list versions of', FunctionName, () =>
      lambda.send(new ListVersionsByFunctionCommand({ FunctionName, Marker, MaxItems: 50 })),
    );
    for (const v of page.Versions ?? []) {
      if (v.Version && /^\d+$/.test(v.Version))
        versions.push({ version: v.Version, description: v.Description });
    }
    Marker = page.NextMarker;
  } while (Marker);
  return versions.sort((a, b) => Number(a.version) - Number(b.version));
}

/** True when two configurations would serve the same thing (code and the fields we own). */
export function sameRelease(a: FunctionConfiguration, b: FunctionConfiguration): boolean {
  const env = (c: FunctionConfiguration) =>
    JSON.stringify(Object.entries(c.Environment?.Variables ?? {}).sort(([x], [y]) => x.localeCompare(y)));
  return (
    a.CodeSha256 === b.CodeSha256 &&
    a.Role === b.Role &&
    a.MemorySize === b.MemorySize &&
    a.Timeout === b.Timeout &&
    a.EphemeralStorage?.Size === b.EphemeralStorage?.Size &&
    (a.Architectures ?? [])[0] === (b.Architectures ?? [])[0] &&
    env(a) === env(b)
  );
}

/** The version `live` points at, or undefined when there is no alias yet. */
export async function readLiveVersion(
  lambda: LambdaClient,
  FunctionName: string,
): Promise<string | undefined> {
  const alias = await find('lambda: get alias live of', FunctionName, ['ResourceNotFoundException'], () =>
    lambda.send(new GetAliasCommand({ FunctionName, Name: LIVE_ALIAS })),
  );
  return alias?.FunctionVersion;
}

/** Points `live` at `version` (creating the alias when `current` is undefined). */
export async function moveLive(
  lambda: LambdaClient,
  FunctionName: string,
  version: string,
  current: string | undefined,
): Promise<void> {
  await call(`lambda: point alias ${LIVE_ALIAS} of`, FunctionName, () =>
    current === undefined
      ? lambda.send(new CreateAliasCommand({ FunctionName, Name: LIVE_ALIAS, FunctionVersion: version }))
      : lambda.send(
          new UpdateAliasCommand({
            FunctionName,
            Name: LIVE_ALIAS,
            FunctionVersion: version,
            RoutingConfig: {},
          }),
        ),
  );
}

async function waitPublished(lambda: LambdaClient, timing: Timing, FunctionName: string, version: string) {
  try {
    await waitUntilPublishedVersionActive(
      { client: lambda, maxWaitTime: timing.waiterMaxWaitS },
      { FunctionName, Qualifier: version },
    );
  } catch (err) {
    throw new DeployError(`lambda: version ${version} of ${FunctionName} did not become active`, {
      fix: 're-run; if it fails again, `npm run logs` and the version’s StateReason name the cause',
      cause: err,
    });
  }
}

export async function ensureRelease(ctx: DeployContext): Promise<StepResult> {
  const { lambda } = ctx.clients;
  const FunctionName = ctx.names.functionName;
  const changes = new Changes();
  if (!ctx.state.functionExists) {
    // Dry run of a first deploy: nothing to read yet.
    changes.creating = true;
    changes.add('publish version 1', async () => {});
    changes.add(`create alias ${LIVE_ALIAS}`, async () => {});
    return changes.apply(true);
  }
  const live = await readLiveVersion(lambda, FunctionName);
  ctx.state.previousVersion = live;
  const latest = await call('lambda: get configuration of', FunctionName, () =>
    lambda.send(new GetFunctionConfigurationCommand({ FunctionName })),
  );
  const served = live
    ? await call('lambda: get configuration of', `${FunctionName}:${live}`, () =>
        lambda.send(new GetFunctionConfigurationCommand({ FunctionName, Qualifier: live })),
      )
    : undefined;
  // In a dry run the function step changed nothing yet; a change it would make is a new release.
  if (served && sameRelease(latest, served) && !ctx.state.functionPending) {
    ctx.state.version = live;
    return { outcome: 'unchanged', detail: `${LIVE_ALIAS} → version ${live}` };
  }
  if (!ctx.dryRun && (latest.State === 'Failed' || latest.LastUpdateStatus === 'Failed')) {
    // The function step applies a Failed $LATEST again; this is the last guard before publishing.
    throw new DeployError(
      `lambda: ${FunctionName} is Failed (${latest.LastUpdateStatusReason ?? latest.StateReason ?? 'no reason given'}); not publishing it`,
      { fix: 'fix the cause named here, then re-run (the deploy applies the code again)' },
    );
  }
  let version = '';
  changes.creating = live === undefined;
  changes.add('publish version', async () => {
    if (latest.LastUpdateStatus === 'InProgress') {
      await waitUntilFunctionUpdatedV2(
        { client: lambda, maxWaitTime: ctx.timing.waiterMaxWaitS },
        { FunctionName },
      );
    }
    const out = await call('lambda: publish version of', FunctionName, () =>
      lambda.send(
        new PublishVersionCommand({
          FunctionName,
          CodeSha256: latest.CodeSha256,
          RevisionId: latest.RevisionId,
          // What rollback reads back to refuse a version that cannot open a migrated database.
          Description: `${ctx.build.tag} (${ctx.build.version}) ${formatMigrations(ctx.build.migrations)}`,
        }),
      ),
    );
    version = out.Version ?? '';
    await waitPublished(lambda, ctx.timing, FunctionName, version);
  });
  changes.add(
    live === undefined ? `create alias ${LIVE_ALIAS}` : `move ${LIVE_ALIAS} from version ${live}`,
    () => moveLive(lambda, FunctionName, version, live),
  );
  const result = await changes.apply(ctx.dryRun);
  if (!ctx.dryRun) {
    ctx.state.version = version;
    result.detail = `${LIVE_ALIAS} → version ${version}${live ? ` (was ${live})` : ''}`;
  }
  return result;
}
