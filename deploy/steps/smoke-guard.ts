/**
 * The smoke test after `live` moved, with the way back: if the version now live fails it, `live`
 * goes back to the version that served before, that one is smoke-tested again, and the error says
 * where the site is — so the site is never left on a version that failed its smoke test. (A first
 * deploy has no earlier version to go back to, and says so.)
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Timing } from '../context.ts';
import { DeployError, isDeployError } from '../errors.ts';
import type { Reporter } from '../report.ts';
import { LIVE_ALIAS } from '../settings.ts';
import { moveLive } from './release.ts';
import { smokeTest } from './smoke.ts';

export interface SmokeGuard {
  reporter: Reporter;
  lambda: LambdaClient;
  functionName: string;
  url: string;
  /** The version `live` points at now, and the one it pointed at before (undefined: a first deploy). */
  current: string;
  previous: string | undefined;
  /** The commit `/version` must report for `current`; undefined accepts any. */
  expectCommit: string | undefined;
  timing: Timing;
  fetch: typeof fetch;
}

export async function smokeTestOrGoBack(guard: SmokeGuard): Promise<void> {
  const { reporter, url, current, previous, timing } = guard;
  try {
    await reporter.step('smoke test', url, () =>
      smokeTest({ url, expectCommit: guard.expectCommit, timing, fetch: guard.fetch }),
    );
    return;
  } catch (err) {
    if (!isDeployError(err) || !err.message.startsWith('smoke test:')) throw err;
    if (previous === undefined || previous === current) {
      const why =
        previous === undefined
          ? 'there is no earlier version to go back to'
          : `${LIVE_ALIAS} was already on it before this run`;
      throw new DeployError(`${err.message}; ${why}, so version ${current} stays live`, {
        fix: err.fix,
        cause: err,
      });
    }
    const resource = `${guard.functionName}:${LIVE_ALIAS}`;
    await reporter.step('back', resource, async () => {
      await moveLive(guard.lambda, guard.functionName, previous, current);
      return {
        outcome: 'updated',
        detail: `version ${current} failed its smoke test: ${LIVE_ALIAS} → version ${previous}`,
      };
    });
    let restored = true;
    try {
      await reporter.step('smoke test', url, () =>
        smokeTest({ url, expectCommit: undefined, timing, fetch: guard.fetch }),
      );
    } catch {
      restored = false;
    }
    throw new DeployError(
      `${err.message}; ${LIVE_ALIAS} is back on version ${previous}${restored ? ', which passes its smoke test' : ', which fails its smoke test too'}`,
      {
        fix: restored
          ? `read version ${current}'s logs with \`npm run logs -- --since 15m\`, fix, then deploy again`
          : `if version ${current} migrated the database, version ${previous} cannot open it: deploy a fix forward, or restore a database version from before it (\`npm run db -- versions\`, then \`npm run db -- restore --version ID\`); \`npm run logs -- --since 15m\` shows why`,
        cause: err,
      },
    );
  }
}
