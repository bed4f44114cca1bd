import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

describe('deploy --dry-run', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('on a fresh account reads only, builds nothing, and lists everything it would create', async () => {
    const result = await h.deploy(COMMIT_A, '--dry-run');
    expect(h.fake.calls.length).toBeGreaterThan(0);
    expect(h.fake.mutations()).toEqual([]);
    expect(h.docker.builds).toEqual([]);
    expect(h.fake.buckets.size + h.fake.repos.size + h.fake.roles.size + h.fake.functions.size).toBe(0);
    const lines = h.output.filter((l) => l.includes('✔'));
    expect(lines.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      '✔ bucket',
      '✔ secret',
      '✔ repository',
      '✔ image',
      '✔ role',
      '✔ log group',
      '✔ function',
      '✔ concurrency',
      '✔ release',
      '✔ url',
    ]);
    expect(lines.every((l) => l.includes('would create'))).toBe(true);
    expect(h.output.join('\n')).toContain(
      'versioning, encryption, public access block, TLS-only policy, lifecycle',
    );
    expect(h.output.at(-1)).toBe('Dry run: nothing was changed; 10 step(s) would change.');
    expect(result.pending).toBe(10);
    expect(h.app.requests).toEqual([]);
  });

  it('on a deployed account shows only the new image, the code update and the new release', async () => {
    await h.deploy(COMMIT_A);
    h.fake.clearCalls();
    h.output.length = 0;
    await h.deploy(COMMIT_B, '--dry-run');
    expect(h.fake.mutations()).toEqual([]);
    expect(h.docker.builds).toHaveLength(1);
    const outcome = (title: string) => h.output.find((l) => l.startsWith(`  ✔ ${title} `)) ?? '';
    expect(outcome('image')).toContain('would create (build for linux/amd64 and push)');
    expect(outcome('function')).toContain('would update (image)');
    expect(outcome('release')).toContain('would update (publish version, move live from version 1)');
    for (const title of ['bucket', 'secret', 'repository', 'role', 'log group', 'concurrency', 'url']) {
      expect(outcome(title)).toContain('unchanged');
    }
  });

  it('reports that Docker is not running, still prints the plan, and exits with that error', async () => {
    h.docker.down = true;
    const failure = await h.deploy(COMMIT_A, '--dry-run').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeployError);
    expect((failure as DeployError).message).toMatch(/^docker: the engine does not answer/);
    expect(h.output.some((l) => l.startsWith('  ✖ docker: the engine does not answer'))).toBe(true);
    expect(h.output.filter((l) => l.includes('would create'))).toHaveLength(10);
    expect(h.fake.mutations()).toEqual([]);
  });
});
