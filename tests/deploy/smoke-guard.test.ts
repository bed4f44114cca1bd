import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const FN = 'code-canvas-prod';

describe('a release that fails its smoke test', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    h.timing.smokeTimeoutMs = 1500;
  });
  afterEach(() => h.close());

  const live = () => h.fake.functions.get(FN)?.aliases.get('live');
  const failure = async (run: Promise<unknown>) => (await run.catch((e: unknown) => e)) as DeployError;
  const aliasMoves = () => h.fake.inputs('UpdateAlias').map((i) => i.FunctionVersion);

  it('after deploy: live goes back to the version before at once, which is tested again, and it says so', async () => {
    await h.deploy(COMMIT_A);
    h.app.broken.add(COMMIT_B);
    h.fake.clearCalls();
    h.output.length = 0;
    const err = await failure(h.deploy(COMMIT_B));
    expect(err).toBeInstanceOf(DeployError);
    expect(err.message).toMatch(
      /^smoke test: http:\/\/127\.0\.0\.1:\d+\/healthz did not answer as expected within 1\.5 s \(last: 503 .*\); live is back on version 1, which passes its smoke test$/,
    );
    expect(err.fix).toBe("read version 2's logs with `npm run logs -- --since 15m`, fix, then deploy again");
    expect(aliasMoves()).toEqual(['2', '1']);
    expect(live()).toBe('1');
    const lines = h.output
      .filter((l) => /^ {2}[✔✖]/.test(l))
      .map((l) =>
        l
          .trim()
          .split(/\s{2,}/)
          .slice(0, 3)
          .join(' | '),
      );
    expect(lines.slice(-3)).toEqual([
      expect.stringMatching(new RegExp(`^✖ smoke test \\| ${h.app.url} \\| failed after \\d+\\.\\d s$`)),
      '✔ back | code-canvas-prod:live | updated (version 2 failed its smoke test: live → version 1)',
      expect.stringMatching(
        /^✔ smoke test \| .* \| passed \(\/healthz 200 after .*, serving aaaaaaaaaaaa\)$/,
      ),
    ]);

    // Fixed (here: the same release healthy again), a re-run makes it live without a new version.
    h.app.broken.clear();
    h.fake.clearCalls();
    await h.deploy(COMMIT_B);
    expect(live()).toBe('2');
    expect(h.fake.functions.get(FN)?.versions.size).toBe(2);
  });

  it('says so when the version it went back to fails too, pointing at a migration', async () => {
    await h.deploy(COMMIT_A);
    h.app.broken.add(COMMIT_A).add(COMMIT_B);
    const err = await failure(h.deploy(COMMIT_B));
    expect(err.message).toMatch(/; live is back on version 1, which fails its smoke test too$/);
    expect(err.fix).toMatch(
      /^if version 2 migrated the database, version 1 cannot open it: deploy a fix forward/,
    );
    expect(live()).toBe('1');
  });

  it('on a first deploy says there is nothing to go back to', async () => {
    h.app.broken.add(COMMIT_A);
    const err = await failure(h.deploy(COMMIT_A));
    expect(err.message).toMatch(/; there is no earlier version to go back to, so version 1 stays live$/);
    expect(aliasMoves()).toEqual([]);
  });

  it('says so when nothing moved: the release was already live before this run', async () => {
    await h.deploy(COMMIT_A);
    h.app.broken.add(COMMIT_A);
    h.fake.clearCalls();
    const err = await failure(h.deploy(COMMIT_A));
    expect(err.message).toMatch(/; live was already on it before this run, so version 1 stays live$/);
    expect(h.fake.mutations()).toEqual([]);
  });

  it('after rollback: live goes back to the version it was on', async () => {
    await h.deploy(COMMIT_A);
    await h.deploy(COMMIT_B);
    h.app.broken.add(COMMIT_A);
    h.fake.clearCalls();
    const err = await failure(h.rollback());
    expect(err.message).toMatch(/; live is back on version 2, which passes its smoke test$/);
    expect(aliasMoves()).toEqual(['1', '2']);
    expect(live()).toBe('2');
  });
});
