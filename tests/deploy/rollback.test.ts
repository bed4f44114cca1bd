import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const FN = 'code-canvas-prod';
const COMMIT_C = 'c'.repeat(40);

describe('rollback', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('points live at the version before, and the smoke test sees the old release answer', async () => {
    await h.deploy(COMMIT_A);
    await h.deploy(COMMIT_B);
    h.fake.clearCalls();
    h.output.length = 0;
    const result = await h.rollback();
    expect(result).toEqual({ from: '2', to: '1' });
    expect(h.fake.mutations()).toEqual(['UpdateAlias']);
    expect(h.fake.inputs('UpdateAlias')).toEqual([
      { FunctionName: FN, Name: 'live', FunctionVersion: '1', RoutingConfig: {} },
    ]);
    expect(h.output.join('\n')).toContain('serving aaaaaaaaaaaa');
    expect(h.output.join('\n')).toContain('The database was not rolled back.');
    expect(h.output.join('\n')).toContain('undo with: npm run rollback -- --stage prod --to 2');
  });

  it('goes to the version named with --to', async () => {
    await h.deploy(COMMIT_A);
    await h.deploy(COMMIT_B);
    await h.deploy(COMMIT_C);
    await h.rollback('--to', '1');
    expect(h.fake.functions.get(FN)?.aliases.get('live')).toBe('1');
    // …and a later deploy of the current checkout moves it forward again without a new version.
    h.fake.clearCalls();
    await h.deploy(COMMIT_C);
    expect(h.fake.mutations()).toEqual(['PublishVersion', 'UpdateAlias']);
    expect(h.fake.functions.get(FN)?.aliases.get('live')).toBe('3');
    expect(h.fake.functions.get(FN)?.versions.size).toBe(3);
  });

  it('refuses a version whose image the repository has expired, changing nothing', async () => {
    await h.deploy(COMMIT_A);
    await h.deploy(COMMIT_B);
    const repo = h.fake.repos.get(FN);
    const old = repo?.tags.get(`${COMMIT_A.slice(0, 12)}-20251120T100000Z-x86_64`) ?? '';
    repo?.digests.delete(old);
    h.fake.clearCalls();
    const failure = (await h.rollback().catch((e: unknown) => e)) as DeployError;
    expect(failure).toBeInstanceOf(DeployError);
    expect(failure.message).toBe(`ecr: version 1's image ${old} is no longer in ${FN}`);
    expect(failure.fix).toMatch(/--keep-images/);
    expect(h.fake.mutations()).toEqual([]);
  });

  it('says there is nothing to roll back to after the first deploy, and names unknown versions', async () => {
    await h.deploy(COMMIT_A);
    await expect(h.rollback()).rejects.toThrow(
      'lambda: code-canvas-prod has no version before 1 to roll back to',
    );
    await expect(h.rollback('--to', '7')).rejects.toThrow('lambda: code-canvas-prod has no version 7');
  });

  it('says to deploy first when nothing is deployed', async () => {
    const failure = (await h.rollback().catch((e: unknown) => e)) as DeployError;
    expect(failure.message).toMatch(/^lambda: code-canvas-prod has no live alias/);
    expect(failure.fix).toBe('deploy first with `npm run deploy`');
  });
});
