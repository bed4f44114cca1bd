import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { COMMIT_A, createHarness, type Harness } from './support/harness.ts';

const FN = 'code-canvas-prod';

describe('--max-concurrency', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  const reserved = () => h.fake.functions.get(FN)?.reserved;

  it('caps the function at 10 at once by default, changes the cap in place, and lifts it with "none"', async () => {
    await h.deploy(COMMIT_A);
    expect(reserved()).toBe(10);
    expect(h.output.find((l) => l.startsWith('  ✔ concurrency'))).toContain('created (at most 10 at once)');
    h.fake.clearCalls();
    await h.deploy(COMMIT_A, '--max-concurrency', '25');
    expect(h.fake.mutations()).toEqual(['PutFunctionConcurrency']);
    expect(reserved()).toBe(25);
    h.fake.clearCalls();
    await h.deploy(COMMIT_A, '--max-concurrency', 'none');
    expect(h.fake.mutations()).toEqual(['DeleteFunctionConcurrency']);
    expect(reserved()).toBeUndefined();
    // The cap is the function's, not a version's: changing it publishes nothing.
    expect(h.fake.functions.get(FN)?.versions.size).toBe(1);
  });

  it('on a new account (10 in all, none reservable) stops with one line saying what to do', async () => {
    h.fake.accountConcurrency = { limit: 10, unreservedMinimum: 10 };
    const err = (await h.deploy(COMMIT_A).catch((e: unknown) => e)) as DeployError;
    expect(err).toBeInstanceOf(DeployError);
    expect(err.message).toBe(
      `lambda: reserving 10 concurrent executions for ${FN} would leave this account fewer than the 10 unreserved ones Lambda requires (new accounts start with 10 in all)`,
    );
    expect(err.fix).toBe(
      'ask for a higher "Concurrent executions" quota for Lambda in Service Quotas and re-run, or deploy without the cap: --max-concurrency none',
    );
    // Nothing went live uncapped.
    expect(h.fake.functions.get(FN)?.aliases.size).toBe(0);
    await h.deploy(COMMIT_A, '--max-concurrency', 'none');
    expect(h.fake.functions.get(FN)?.aliases.get('live')).toBe('1');
  });

  it('refuses a value that is not a whole number or "none"', () => {
    expect(() => h.settings('deploy', '--max-concurrency', 'lots')).toThrow(
      '--max-concurrency / CC_DEPLOY_MAX_CONCURRENCY: "lots" is not a whole number or "none"',
    );
    expect(() => h.settings('deploy', '--max-concurrency', '0')).toThrow(/is not a whole number in 1–100000/);
    expect(h.settings('deploy').maxConcurrency).toBe(10);
  });
});
