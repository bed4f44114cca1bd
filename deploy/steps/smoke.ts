/**
 * Step 7, the smoke test: through the Function URL, `/healthz` until it answers 200 (the database is
 * restored), then `/`, then `/version` until it reports the commit just deployed — all within one
 * bounded wait.
 */
import type { Timing } from '../context.ts';
import { DeployError } from '../errors.ts';
import type { StepResult } from '../report.ts';
import { seconds } from '../report.ts';

export interface SmokeOptions {
  url: string;
  /** The commit `/version` must report; undefined accepts any (rollback reports what it sees). */
  expectCommit: string | undefined;
  timing: Timing;
  fetch: typeof fetch;
}

interface Answer {
  status: number;
  body: string;
}

async function get(fetcher: typeof fetch, url: URL): Promise<Answer | string> {
  try {
    const res = await fetcher(url, { redirect: 'follow', signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return (err as Error).message;
  }
}

export async function smokeTest(options: SmokeOptions): Promise<StepResult & { commit: string | undefined }> {
  const { timing } = options;
  const start = timing.now();
  const deadline = start + timing.smokeTimeoutMs;
  let last = 'no answer yet';
  const until = async (path: string, ok: (a: Answer) => boolean): Promise<Answer> => {
    const url = new URL(path, options.url);
    for (;;) {
      const answer = await get(options.fetch, url);
      if (typeof answer !== 'string' && ok(answer)) return answer;
      last =
        typeof answer === 'string'
          ? answer
          : `${answer.status} ${answer.body.slice(0, 120).replace(/\s+/g, ' ')}`;
      if (timing.now() + timing.smokeIntervalMs > deadline) {
        throw new DeployError(
          `smoke test: ${url.href} did not answer as expected within ${seconds(timing.smokeTimeoutMs)} (last: ${last})`,
          {
            fix: 'read the function’s logs with `npm run logs -- --since 15m`; fix, then re-run (or `npm run rollback`)',
          },
        );
      }
      await timing.sleep(timing.smokeIntervalMs);
    }
  };
  await until('healthz', (a) => a.status === 200);
  const ready = timing.now() - start;
  await until('.', (a) => a.status === 200);
  const version = await until('version', (a) => {
    if (a.status === 404) return true; // an image without /version cannot be checked further
    if (a.status !== 200) return false;
    const commit = parseCommit(a.body);
    return options.expectCommit === undefined || commit === options.expectCommit;
  });
  const commit = parseCommit(version.body);
  return {
    outcome: 'passed',
    commit,
    detail: `/healthz 200 after ${seconds(ready)}, / 200${commit ? `, serving ${commit.slice(0, 12)}` : ''}`,
  };
}

function parseCommit(body: string): string | undefined {
  try {
    const commit = (JSON.parse(body) as { commit?: unknown }).commit;
    return typeof commit === 'string' ? commit : undefined;
  } catch {
    return undefined;
  }
}
