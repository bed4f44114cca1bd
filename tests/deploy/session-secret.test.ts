import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serviceError } from './support/fake-aws.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const NAME = '/code-canvas/prod/session-secret';
const FN = 'code-canvas-prod';

describe('the session secret', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('is made once as a tagged SecureString of 32 random bytes, and the function is told its name', async () => {
    await h.deploy(COMMIT_A);
    const [put, ...more] = h.fake.inputs('PutParameter');
    expect(more).toEqual([]);
    expect(put).toMatchObject({
      Name: NAME,
      Type: 'SecureString',
      Overwrite: false,
      Tags: [
        { Key: 'app', Value: 'code-canvas' },
        { Key: 'stage', Value: 'prod' },
        { Key: 'managed-by', Value: 'code-canvas-deploy' },
      ],
    });
    expect(put?.Value).toMatch(/^[0-9a-f]{64}$/);
    expect(put?.Description).toContain('a new value logs everybody out');
    expect(h.fake.functions.get(FN)?.latest.Environment?.Variables?.CC_SESSION_SECRET_PARAMETER).toBe(NAME);
    // The deploy checks it exists without ever asking for the decrypted value.
    expect(h.fake.inputs('GetParameter')).toEqual([{ Name: NAME }]);
  });

  it('is never replaced by a later deploy, whatever else changes', async () => {
    await h.deploy(COMMIT_A);
    const key = h.fake.parameters.get(NAME)?.value;
    h.output.length = 0;
    await h.deploy(COMMIT_B, '--memory', '2048');
    expect(h.fake.inputs('PutParameter')).toHaveLength(1);
    expect(h.fake.parameters.get(NAME)?.value).toBe(key);
    expect(h.output.find((l) => l.startsWith('  ✔ secret'))).toContain('unchanged (SecureString, kept)');
  });

  it('keeps one the operator made, and one a concurrent run made since the check', async () => {
    h.fake.parameters.set(NAME, { type: 'SecureString', value: 'k'.repeat(64), tags: {}, version: 3 });
    await h.deploy(COMMIT_A);
    expect(h.fake.inputs('PutParameter')).toEqual([]);
    expect(h.fake.parameters.get(NAME)?.value).toBe('k'.repeat(64));

    const other = await createHarness();
    try {
      other.fake.failNext(
        'PutParameter',
        serviceError('ParameterAlreadyExists', 'The parameter already exists.'),
      );
      await other.deploy(COMMIT_A);
      expect(other.output.find((l) => l.startsWith('  ✔ secret'))).toContain('created');
      expect(other.fake.functions.get(FN)?.aliases.get('live')).toBe('1');
    } finally {
      await other.close();
    }
  });

  it('is only announced in a dry run', async () => {
    await h.deploy(COMMIT_A, '--dry-run');
    expect(h.fake.parameters.size).toBe(0);
    expect(h.output.find((l) => l.startsWith('  ✔ secret'))).toContain(
      'would create (SecureString, 32 random bytes)',
    );
  });

  it('cannot be replaced through --env', () => {
    expect(() => h.settings('deploy', '--env', 'CC_SESSION_SECRET_PARAMETER=/other')).toThrow(
      '--env CC_SESSION_SECRET_PARAMETER: set by the deploy itself',
    );
  });
});
