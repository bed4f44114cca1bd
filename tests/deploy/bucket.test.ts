import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { COMMIT_A, createHarness, type Harness } from './support/harness.ts';

const BUCKET = 'code-canvas-prod-123456789012-eu-west-1';
const TAGS = { app: 'code-canvas', stage: 'prod', 'managed-by': 'code-canvas-deploy' };

describe('the database bucket', () => {
  let h: Harness;
  /** Fake time: sleeping advances it at once, so a minute of retries takes no real time. */
  let clock = 0;
  beforeEach(async () => {
    h = await createHarness();
    clock = 0;
    Object.assign(h.timing, {
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
      retryDelayMs: 3000,
      bucketPropagationMs: 60_000,
    });
  });
  afterEach(() => h.close());

  it('rides out NoSuchBucket right after creating it, then configures it fully', async () => {
    h.fake.bucketPropagationFailures = 7;
    await h.deploy(COMMIT_A);
    expect(h.fake.inputs('PutBucketTagging')).toHaveLength(8);
    expect(clock).toBe(7 * 3000);
    expect(h.fake.buckets.get(BUCKET)).toMatchObject({ versioning: 'Enabled', tags: TAGS });
    expect(h.fake.buckets.get(BUCKET)?.rules).toHaveLength(1);
    expect(h.fake.functions.get('code-canvas-prod')?.aliases.get('live')).toBe('1');
  });

  it('gives up after a minute with one line saying to re-run, and the re-run finishes the bucket', async () => {
    h.fake.bucketPropagationFailures = 1_000_000;
    const failure = (await h.deploy(COMMIT_A).catch((e: unknown) => e)) as DeployError;
    expect(failure).toBeInstanceOf(DeployError);
    expect(failure.message).toBe(
      `s3: bucket ${BUCKET} still answers NoSuchBucket 60.0 s after it was created (s3: tag)`,
    );
    expect(failure.fix).toBe(
      'S3 is still propagating the new bucket: re-run in a minute (the deploy resumes)',
    );
    expect(clock).toBeGreaterThan(57_000);
    expect(clock).toBeLessThanOrEqual(60_000);
    expect(h.fake.mutations()).not.toContain('CreateRepository');

    h.fake.bucketPropagationFailures = 0;
    h.fake.clearCalls();
    await h.deploy(COMMIT_A);
    expect(h.fake.mutations().slice(0, 2)).toEqual(['PutBucketTagging', 'PutBucketVersioning']);
    expect(h.fake.mutations()).not.toContain('CreateBucket');
  });

  it('claims an untagged bucket under the default name, but never one named with --bucket', async () => {
    h.fake.buckets.set(BUCKET, { region: 'eu-west-1', versions: [] });
    h.fake.buckets.set('their-bucket', { region: 'eu-west-1', versions: [] });
    await h.deploy(COMMIT_A);
    expect(h.fake.buckets.get(BUCKET)?.tags).toEqual(TAGS);
    h.fake.clearCalls();
    await h.deploy(COMMIT_A, '--bucket', 'their-bucket');
    expect(h.fake.inputs('PutBucketTagging')).toEqual([]);
    expect(h.fake.buckets.get('their-bucket')?.tags).toBeUndefined();
    expect(h.fake.buckets.get('their-bucket')?.versioning).toBe('Enabled');
  });
});
