/**
 * `npm run deploy`: preflight (who, where, Docker), the plan, then each step in order — bucket,
 * session secret, repository, image, role, log group, function, concurrency, release, URL, smoke test — and a summary. Every
 * step checks before it changes, so a re-run after a failure resumes where it stopped.
 * `--dry-run` runs only the checks and prints what would change.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AwsClients, Identity } from '../aws.ts';
import { type BuildInfo, readBuildInfo } from '../build-info.ts';
import { DEFAULT_TIMING, type DeployContext, type Timing } from '../context.ts';
import type { Docker } from '../docker.ts';
import { readInvokeMode } from '../dockerfile.ts';
import { DeployError, formatError, isDeployError, isNotFound } from '../errors.ts';
import { formatMigrations, migrationGap, migrationRefusal } from '../migrations.ts';
import { resourceNames } from '../names.ts';
import { type Print, Reporter } from '../report.ts';
import type { Settings } from '../settings.ts';
import { ensureBucket } from '../steps/bucket.ts';
import { ensureConcurrency } from '../steps/concurrency.ts';
import { ensureFunction } from '../steps/function.ts';
import { DOCKERFILE, ensureImage, platformFor } from '../steps/image.ts';
import { ensureLogGroup } from '../steps/log-group.ts';
import { ensureRelease, listVersions } from '../steps/release.ts';
import { ensureRepository } from '../steps/repository.ts';
import { ensureRole } from '../steps/role.ts';
import { ensureSessionSecret } from '../steps/session-secret.ts';
import { smokeTestOrGoBack } from '../steps/smoke-guard.ts';
import { ensureUrl } from '../steps/url.ts';

export interface DeployDeps {
  settings: Settings;
  identity: Identity;
  clients: AwsClients;
  docker: Docker;
  root: string;
  print: Print;
  build?: BuildInfo;
  timing?: Timing;
  fetch?: typeof fetch;
}

export interface DeployOutcome {
  url: string | undefined;
  version: string | undefined;
  imageUri: string | undefined;
  /** Dry run only: the changes a deploy would make. */
  pending: number;
}

/**
 * Refuses, before anything changes, a checkout that knows fewer database migrations than a
 * published version (which may have migrated the data): deploying it is a rollback across a
 * migration. Nothing to compare on a first deploy.
 */
async function checkMigrations(ctx: DeployContext): Promise<void> {
  let published: Awaited<ReturnType<typeof listVersions>>;
  try {
    published = await listVersions(ctx.clients.lambda, ctx.names.functionName);
  } catch (err) {
    if (isDeployError(err) && isNotFound(err.cause, 'ResourceNotFoundException')) return;
    throw err;
  }
  const gap = migrationGap('deploy: this checkout', ctx.build.migrations, published);
  if (!gap) return;
  if (!ctx.settings.force) {
    throw migrationRefusal(gap, 'deploy a checkout that has those migrations (e.g. the latest commit)');
  }
  ctx.print(`  ⚠ --force: ${gap}`);
}

export async function runDeploy(deps: DeployDeps): Promise<DeployOutcome> {
  const { settings, identity, print } = deps;
  const names = resourceNames(settings, identity);
  const dockerfile = await readFile(join(deps.root, DOCKERFILE), 'utf8').catch(() => {
    throw new DeployError(`${DOCKERFILE} not found in ${deps.root}`, {
      fix: 'run the deploy from the repository root',
    });
  });
  const build = deps.build ?? (await readBuildInfo(deps.root, settings.architecture, settings.buildArgs));
  const ctx: DeployContext = {
    settings,
    names,
    identity,
    clients: deps.clients,
    docker: deps.docker,
    build,
    root: deps.root,
    invokeMode: readInvokeMode(dockerfile),
    dryRun: settings.dryRun,
    timing: deps.timing ?? DEFAULT_TIMING,
    fetch: deps.fetch ?? fetch,
    print,
    state: {},
  };

  print(`${settings.dryRun ? 'Dry run: deploy' : 'Deploying'} ${settings.app}, stage ${settings.stage}`);
  print(`  account ${identity.account} (${identity.arn}), region ${identity.region}`);
  print(
    `  function ${names.functionName}: ${settings.architecture}, ${settings.memoryMb} MB, ${settings.timeoutS} s, /tmp ${settings.ephemeralStorageMb} MB, ${settings.maxConcurrency === undefined ? 'no concurrency cap' : `at most ${settings.maxConcurrency} at once`}, URL ${ctx.invokeMode}`,
  );
  print(`  database s3://${names.bucket}/${names.dbKey}, ${formatMigrations(build.migrations)}`);
  print(
    `  image ${names.repository}:${build.tag} (${platformFor(settings.architecture)}${build.dirty ? ', uncommitted changes' : ''})`,
  );
  let dockerProblem: DeployError | undefined;
  try {
    const v = await deps.docker.version();
    print(`  docker ${v.server} (${v.buildx ? 'buildx, attestations off' : 'classic builder'})`);
  } catch (err) {
    if (!settings.dryRun || !isDeployError(err)) throw err;
    dockerProblem = err;
    print(`  ✖ ${formatError(err)}`);
  }
  await checkMigrations(ctx);
  print('');

  const reporter = new Reporter(print);
  await reporter.step('bucket', names.bucket, () => ensureBucket(ctx));
  await reporter.step('secret', names.sessionSecret, () => ensureSessionSecret(ctx));
  await reporter.step('repository', names.repository, () => ensureRepository(ctx));
  await reporter.step('image', build.tag, () => ensureImage(ctx));
  await reporter.step('role', names.role, () => ensureRole(ctx));
  await reporter.step('log group', names.logGroup, () => ensureLogGroup(ctx));
  await reporter.step('function', names.functionName, () => ensureFunction(ctx));
  await reporter.step('concurrency', names.functionName, () => ensureConcurrency(ctx));
  await reporter.step('release', `${names.functionName}:live`, () => ensureRelease(ctx));
  await reporter.step('url', `${names.functionName}:live`, () => ensureUrl(ctx));

  if (settings.dryRun) {
    const pending = reporter.rows.filter((r) => r.outcome.startsWith('would')).length;
    print('');
    print(
      `Dry run: nothing was changed; ${pending === 0 ? 'everything is up to date' : `${pending} step(s) would change`}.`,
    );
    if (dockerProblem) throw dockerProblem;
    return { url: ctx.state.url, version: ctx.state.version, imageUri: ctx.state.imageUri, pending };
  }

  const url = ctx.state.url;
  if (!url) throw new DeployError(`lambda: no Function URL for ${names.functionName}:live after creating it`);
  await smokeTestOrGoBack({
    reporter,
    lambda: ctx.clients.lambda,
    functionName: names.functionName,
    url,
    current: ctx.state.version ?? '',
    previous: ctx.state.previousVersion,
    expectCommit: build.commit,
    timing: ctx.timing,
    fetch: ctx.fetch,
  });
  print('');
  print(reporter.summary());
  print('');
  print(`✔ ${settings.app} (${settings.stage}) is live: ${url}`);
  print(`  version ${ctx.state.version} · image ${ctx.state.imageUri}`);
  if (ctx.state.previousVersion && ctx.state.previousVersion !== ctx.state.version) {
    print(
      `  roll back with: npm run rollback -- --stage ${settings.stage} --to ${ctx.state.previousVersion}`,
    );
  }
  return { url, version: ctx.state.version, imageUri: ctx.state.imageUri, pending: 0 };
}
