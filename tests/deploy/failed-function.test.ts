import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeployError } from '../../deploy/errors.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const FN = 'code-canvas-prod';
const REASON = 'InvalidImage: the image could not be optimized';

describe('a function an earlier run left Failed', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  const fn = () => h.fake.functions.get(FN);
  const failure = async (run: Promise<unknown>) => (await run.catch((e: unknown) => e)) as DeployError;

  it('after a failed update: the re-run applies the code again instead of publishing it as it is', async () => {
    await h.deploy(COMMIT_A);
    h.fake.failNextUpdate = REASON;
    const err = await failure(h.deploy(COMMIT_B));
    expect(err.message).toBe(`lambda: function ${FN} did not become updated: ${REASON}`);
    // $LATEST already has the new image, and the same settings: only its state says it is broken.
    expect(fn()?.latest).toMatchObject({
      LastUpdateStatus: 'Failed',
      ImageUri: expect.stringContaining('@sha256:'),
    });
    expect(fn()?.aliases.get('live')).toBe('1');

    h.fake.clearCalls();
    h.output.length = 0;
    await h.deploy(COMMIT_B);
    expect(h.fake.mutations()).toEqual(['UpdateFunctionCode', 'PublishVersion', 'UpdateAlias']);
    expect(h.output.find((l) => l.startsWith('  ✔ function'))).toContain(
      `updated (image again (it was left Failed: ${REASON}))`,
    );
    expect(fn()?.versions.get('2')?.LastUpdateStatus).toBe('Successful');
    expect(fn()?.aliases.get('live')).toBe('2');
  });

  it('after a failed create: the re-run applies the code again, then publishes version 1', async () => {
    h.fake.failNextUpdate = REASON;
    const err = await failure(h.deploy(COMMIT_A));
    expect(err.message).toBe(`lambda: function ${FN} did not become active: ${REASON}`);
    expect(fn()?.latest.State).toBe('Failed');
    expect(fn()?.versions.size).toBe(0);

    h.fake.clearCalls();
    await h.deploy(COMMIT_A);
    expect(h.fake.mutations().slice(0, 4)).toEqual([
      'UpdateFunctionCode',
      'PutFunctionConcurrency',
      'PublishVersion',
      'CreateAlias',
    ]);
    expect(fn()?.versions.get('1')).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful' });
  });

  it('stops before publishing when the retry fails again, keeping live where it was', async () => {
    await h.deploy(COMMIT_A);
    h.fake.failNextUpdate = REASON;
    await failure(h.deploy(COMMIT_B));
    h.fake.failNextUpdate = 'still broken';
    const err = await failure(h.deploy(COMMIT_B));
    expect(err.message).toBe(`lambda: function ${FN} did not become updated: still broken`);
    expect(h.fake.inputs('PublishVersion')).toHaveLength(1);
    expect(fn()?.aliases.get('live')).toBe('1');
  });
});
