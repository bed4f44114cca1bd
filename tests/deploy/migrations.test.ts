import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { parseMigrations } from '../../deploy/migrations.ts';
import { knownMigrations } from '../../src/server/db/migrations.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const FN = 'code-canvas-prod';
const COMMIT_C = 'c'.repeat(40);

describe('rollback across a database migration', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  const description = (version: string) => h.fake.functions.get(FN)?.versions.get(version)?.Description;
  const live = () => h.fake.functions.get(FN)?.aliases.get('live');
  const refusal = async (run: Promise<unknown>) => (await run.catch((e: unknown) => e)) as DeployError;

  it('records in each published version the migrations its code knows', async () => {
    expect(knownMigrations()).toEqual({
      app: expect.any(Number),
      directory: expect.any(Number),
      workspace: expect.any(Number),
    });
    await h.deploy(COMMIT_A);
    expect(description('1')).toMatch(
      /^[0-9a-f]{12}-20251120T100000Z-x86_64 \(0\.1\.0\) migrations app=\d+,directory=\d+,workspace=\d+$/,
    );
    expect(parseMigrations(description('1'))).toEqual(knownMigrations());
    h.migrations = { app: 7, directory: 3, workspace: 9 };
    await h.deploy(COMMIT_B);
    expect(description('2')).toContain(' migrations app=7,directory=3,workspace=9');
  });

  it('refuses a version that knows fewer migrations than one published since, changing nothing; --force goes', async () => {
    h.migrations = { app: 1 };
    await h.deploy(COMMIT_A);
    h.migrations = { app: 2 };
    await h.deploy(COMMIT_B);
    h.fake.clearCalls();

    const failure = await refusal(h.rollback());
    expect(failure).toBeInstanceOf(DeployError);
    expect(failure.message).toBe(
      'rollback: version 1 knows fewer migrations than a published version that may have migrated the database: app 1 < 2 (version 2); it would refuse the database and the site would go down',
    );
    expect(failure.fix).toMatch(
      /^deploy a fix forward instead; or restore a database version from before the migration/,
    );
    expect(failure.fix).toContain('then `npm run db -- restore --version ID`) and pass --force');
    expect(h.fake.mutations()).toEqual([]);
    expect(live()).toBe('2');

    h.output.length = 0;
    await h.rollback('--force');
    expect(live()).toBe('1');
    expect(h.output[1]).toMatch(/^ {2}⚠ --force: rollback: version 1 knows fewer migrations/);
  });

  it('compares every kind, against every published version, not only the live one', async () => {
    h.migrations = { app: 1 };
    await h.deploy(COMMIT_A);
    h.migrations = { app: 2, workspace: 1 };
    await h.deploy(COMMIT_B);
    h.migrations = { app: 2, workspace: 2 };
    await h.deploy(COMMIT_C);
    expect((await refusal(h.rollback())).message).toContain('workspace 1 < 2 (version 3)');
    expect((await refusal(h.rollback('--to', '1'))).message).toContain(
      'app 1 < 2 (version 2), workspace 0 < 2 (version 3)',
    );
    // Back on version 2 by force, version 3 (still published, and maybe migrated the data) counts.
    await h.rollback('--force');
    expect(live()).toBe('2');
    expect((await refusal(h.rollback('--to', '1'))).message).toContain('workspace 0 < 2 (version 3)');
    await h.rollback('--to', '3');
    expect(live()).toBe('3');
  });

  it('refuses a version published before versions recorded their migrations, unless --force', async () => {
    await h.deploy(COMMIT_A);
    await h.deploy(COMMIT_B);
    const v1 = h.fake.functions.get(FN)?.versions.get('1');
    if (v1) v1.Description = `${COMMIT_A.slice(0, 12)}-20251120T100000Z-x86_64 (0.1.0)`;
    const failure = await refusal(h.rollback());
    expect(failure.message).toBe(
      'rollback: version 1 records no migrations (published by an older release of the deploy tool), so it may not open the database a later version migrated',
    );
    expect(failure.fix).toContain('pass --force');
    expect(live()).toBe('2');
    await h.rollback('--force');
    expect(live()).toBe('1');
  });

  it('refuses to deploy a checkout that knows fewer migrations than a published version, before building', async () => {
    h.migrations = { app: 2 };
    await h.deploy(COMMIT_A);
    h.migrations = { app: 1 };
    h.fake.clearCalls();
    const failure = await refusal(h.deploy(COMMIT_B));
    expect(failure.message).toBe(
      'deploy: this checkout knows fewer migrations than a published version that may have migrated the database: app 1 < 2 (version 1); it would refuse the database and the site would go down',
    );
    expect(failure.fix).toMatch(/^deploy a checkout that has those migrations \(e\.g\. the latest commit\)/);
    expect(h.fake.mutations()).toEqual([]);
    expect(h.docker.builds).toHaveLength(1);
    await h.deploy(COMMIT_B, '--force');
    expect(live()).toBe('2');
  });
});
