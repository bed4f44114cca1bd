/**
 * `npm run rollback [-- --to VERSION]`: points `live` at the version before the one it serves (or
 * the one named), after checking that version's image is still in the repository, then runs the
 * smoke test. The database is not rolled back: versions of it are the db CLI's business — so a
 * version that knows fewer database migrations than a published one (which may have migrated the
 * data) is refused unless --force (migrations.ts). A target that fails the smoke test is left at
 * once: `live` goes back to where it was.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { GetFunctionCommand, GetFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import type { AwsClients, Identity } from '../aws.ts';
import { DEFAULT_TIMING, type Timing } from '../context.ts';
import { call, DeployError, find } from '../errors.ts';
import { migrationGap, migrationRefusal, parseMigrations } from '../migrations.ts';
import { resourceNames } from '../names.ts';
import { type Print, Reporter } from '../report.ts';
import { LIVE_ALIAS, type Settings } from '../settings.ts';
import { listVersions, moveLive, readLiveVersion } from '../steps/release.ts';
import { smokeTestOrGoBack } from '../steps/smoke-guard.ts';

export interface RollbackDeps {
  settings: Settings;
  identity: Identity;
  clients: AwsClients;
  print: Print;
  timing?: Timing;
  fetch?: typeof fetch;
}

export async function runRollback(deps: RollbackDeps): Promise<{ from: string; to: string }> {
  const { settings, clients, print } = deps;
  const names = resourceNames(settings, deps.identity);
  const FunctionName = names.functionName;
  const live = await readLiveVersion(clients.lambda, FunctionName);
  if (live === undefined) {
    throw new DeployError(
      `lambda: ${FunctionName} has no ${LIVE_ALIAS} alias: nothing is deployed in stage ${settings.stage}`,
      {
        fix: 'deploy first with `npm run deploy`',
      },
    );
  }
  const published = await listVersions(clients.lambda, FunctionName);
  const versions = published.map((v) => Number(v.version));
  let target: string;
  if (settings.rollbackTo !== undefined) {
    if (!versions.includes(Number(settings.rollbackTo)) || !/^\d+$/.test(settings.rollbackTo)) {
      throw new DeployError(`lambda: ${FunctionName} has no version ${settings.rollbackTo}`, {
        fix: `choose one of: ${versions.join(', ')}`,
      });
    }
    target = settings.rollbackTo;
  } else {
    const earlier = versions.filter((v) => v < Number(live));
    if (earlier.length === 0) {
      throw new DeployError(`lambda: ${FunctionName} has no version before ${live} to roll back to`, {
        fix:
          versions.length > 1 ? `name one with --to (${versions.join(', ')})` : 'there is only one version',
      });
    }
    target = String(earlier.at(-1));
  }
  const known = parseMigrations(published.find((v) => v.version === target)?.description);
  const gap = migrationGap(`rollback: version ${target}`, known, published);
  if (gap && !settings.force) throw migrationRefusal(gap);

  print(`Rolling back ${FunctionName}: ${LIVE_ALIAS} → version ${target} (now ${live})`);
  if (gap) print(`  ⚠ --force: ${gap}`);
  const reporter = new Reporter(print);
  await reporter.step('image', `${FunctionName}:${target}`, async () => {
    const fn = await call('lambda: get version', `${FunctionName}:${target}`, () =>
      clients.lambda.send(new GetFunctionCommand({ FunctionName, Qualifier: target })),
    );
    const imageDigest = fn.Code?.ImageUri?.split('@')[1];
    if (!imageDigest) return { outcome: 'unchanged', detail: 'no digest to check' };
    const found = await find(
      'ecr: describe image',
      `${names.repository}@${imageDigest}`,
      ['ImageNotFoundException'],
      () =>
        clients.ecr.send(
          new DescribeImagesCommand({ repositoryName: names.repository, imageIds: [{ imageDigest }] }),
        ),
    );
    if (!found?.imageDetails?.length) {
      throw new DeployError(
        `ecr: version ${target}'s image ${imageDigest} is no longer in ${names.repository}`,
        {
          fix: 'the repository keeps only the newest images (--keep-images): roll back to a newer version, or redeploy that commit',
        },
      );
    }
    return { outcome: 'unchanged', detail: `still in ${names.repository}` };
  });
  await reporter.step('release', `${FunctionName}:${LIVE_ALIAS}`, async () => {
    if (target === live) return { outcome: 'unchanged', detail: `already version ${live}` };
    await moveLive(clients.lambda, FunctionName, target, live);
    return { outcome: 'updated', detail: `version ${live} → ${target}` };
  });
  const urlConfig = await call('lambda: get function URL of', `${FunctionName}:${LIVE_ALIAS}`, () =>
    clients.lambda.send(new GetFunctionUrlConfigCommand({ FunctionName, Qualifier: LIVE_ALIAS })),
  );
  const url = urlConfig.FunctionUrl ?? '';
  await smokeTestOrGoBack({
    reporter,
    lambda: clients.lambda,
    functionName: FunctionName,
    url,
    current: target,
    previous: live,
    expectCommit: undefined,
    timing: deps.timing ?? DEFAULT_TIMING,
    fetch: deps.fetch ?? fetch,
  });
  print('');
  print(`✔ ${url} serves version ${target} (was ${live}). The database was not rolled back.`);
  print(`  undo with: npm run rollback -- --stage ${settings.stage} --to ${live}`);
  return { from: live, to: target };
}
