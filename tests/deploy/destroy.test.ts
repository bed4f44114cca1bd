import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from '../../deploy/errors.ts';
import { COMMIT_A, COMMIT_B, createHarness, type Harness } from './support/harness.ts';

const FN = 'code-canvas-prod';
const BUCKET = 'code-canvas-prod-123456789012-eu-west-1';
const SECRET = '/code-canvas/prod/session-secret';

describe('destroy', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.deploy(COMMIT_A);
    await h.deploy(COMMIT_B);
    h.fake.buckets
      .get(BUCKET)
      ?.versions.push(
        { Key: 'code-canvas/app.sqlite', VersionId: 'v1' },
        { Key: 'code-canvas/app.sqlite', VersionId: 'v2' },
        { Key: 'code-canvas/app.sqlite', VersionId: 'm1', marker: true },
      );
    h.fake.clearCalls();
    h.output.length = 0;
  });
  afterEach(() => h.close());

  it('removes URL, permissions, function, log group, role and repository in that order, and keeps the bucket', async () => {
    await h.destroy(['--yes']);
    expect(h.fake.mutations()).toEqual([
      'DeleteFunctionUrlConfig',
      'RemovePermission',
      'RemovePermission',
      'DeleteFunction',
      'DeleteLogGroup',
      'DeleteRolePolicy',
      'DeleteRolePolicy',
      'DeleteRolePolicy',
      'DeleteRole',
      'DeleteRepository',
    ]);
    expect(h.fake.inputs('RemovePermission').map((i) => i.StatementId)).toEqual([
      'FunctionUrlAllowPublicAccess',
      'FunctionUrlAllowInvokeFunction',
    ]);
    expect(h.fake.inputs('DeleteRepository')).toEqual([{ repositoryName: FN, force: true }]);
    expect(h.fake.functions.size + h.fake.roles.size + h.fake.repos.size + h.fake.logGroups.size).toBe(0);
    expect(h.fake.buckets.get(BUCKET)?.versions).toHaveLength(3);
    expect(h.output.find((l) => l.startsWith('  ✔ bucket'))).toContain(
      'kept (the database; --delete-data removes it)',
    );
    expect(h.fake.parameters.has(SECRET)).toBe(true);
    expect(h.output.find((l) => l.startsWith('  ✔ secret'))).toContain(
      'kept (the session signing key; --delete-data removes it)',
    );
  });

  it('finishes the job on a re-run after a failure, and reports what is already gone', async () => {
    h.fake.failNext('DeleteRole', Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(h.destroy(['--yes'])).rejects.toThrow(
      'iam: delete role code-canvas-prod-function: Rate exceeded',
    );
    h.fake.clearCalls();
    h.output.length = 0;
    await h.destroy(['--yes']);
    expect(h.fake.mutations()).toEqual(['DeleteRole', 'DeleteRepository']);
    for (const title of ['url', 'permissions', 'function', 'log group']) {
      expect(h.output.find((l) => l.startsWith(`  ✔ ${title} `))).toMatch(/ absent /);
    }
  });

  it('deletes every version of the database and the bucket only with --delete-data and the bucket name typed', async () => {
    const questions: string[] = [];
    await expect(
      h.destroy(['--delete-data'], async (q) => {
        questions.push(q);
        return 'code-canvas-prod';
      }),
    ).rejects.toThrow('destroy: the bucket name was not confirmed; nothing was deleted');
    expect(questions[0]).toContain(`Type the bucket name (${BUCKET})`);
    expect(h.fake.mutations()).toEqual([]);

    await h.destroy(['--delete-data'], async () => BUCKET);
    expect(h.fake.mutations().slice(-3)).toEqual(['DeleteObjects', 'DeleteBucket', 'DeleteParameter']);
    expect(h.fake.inputs('DeleteParameter')).toEqual([{ Name: SECRET }]);
    expect(h.fake.parameters.size).toBe(0);
    expect(h.fake.inputs('DeleteObjects')[0]).toEqual({
      Bucket: BUCKET,
      Delete: {
        Objects: [
          { Key: 'code-canvas/app.sqlite', VersionId: 'v1' },
          { Key: 'code-canvas/app.sqlite', VersionId: 'v2' },
          { Key: 'code-canvas/app.sqlite', VersionId: 'm1' },
        ],
        Quiet: true,
      },
    });
    expect(h.fake.buckets.has(BUCKET)).toBe(false);
  });

  it('without a terminal needs --yes, or --confirm with the bucket name for the data', async () => {
    const noTerminal = (await h.destroy([]).catch((e: unknown) => e)) as DeployError;
    expect(noTerminal).toBeInstanceOf(DeployError);
    expect(noTerminal.fix).toBe('pass --yes');
    const wrong = (await h
      .destroy(['--delete-data', '--confirm', 'nope'])
      .catch((e: unknown) => e)) as DeployError;
    expect(wrong.fix).toBe(`pass --confirm ${BUCKET} (no terminal to ask on)`);
    expect(h.fake.mutations()).toEqual([]);
    await h.destroy(['--delete-data', '--confirm', BUCKET]);
    expect(h.fake.buckets.has(BUCKET)).toBe(false);
  });

  it('with --dry-run lists what it would delete and deletes nothing', async () => {
    await h.destroy(['--dry-run', '--delete-data']);
    expect(h.fake.mutations()).toEqual([]);
    const would = h.output
      .filter((l) => l.includes('✔') && l.includes('would delete'))
      .map((l) => l.trim().split(/\s{2,}/)[0]);
    expect(would).toEqual([
      '✔ url',
      '✔ permissions',
      '✔ function',
      '✔ log group',
      '✔ role',
      '✔ repository',
      '✔ bucket',
      '✔ secret',
    ]);
  });

  it('leaves alone every same-named resource someone else made, saying so, and deletes nothing', async () => {
    // The same names, without this tool's tags: made by hand, or by another tool.
    const fn = h.fake.functions.get(FN);
    if (fn) fn.tags = {};
    const role = h.fake.roles.get(`${FN}-function`);
    if (role) role.tags = undefined;
    const repo = h.fake.repos.get(FN);
    if (repo) repo.resourceTags = { team: 'data' };
    const group = h.fake.logGroups.get(`/aws/lambda/${FN}`);
    if (group) group.tags = undefined;
    const bucket = h.fake.buckets.get(BUCKET);
    if (bucket) bucket.tags = undefined;
    const secret = h.fake.parameters.get(SECRET);
    if (secret) secret.tags = { app: 'code-canvas', stage: 'dev', 'managed-by': 'code-canvas-deploy' };

    await h.destroy(['--delete-data', '--confirm', BUCKET]);
    expect(h.fake.mutations()).toEqual([]);
    const kept = h.output.filter((l) => l.includes('kept (not made by this deploy'));
    expect(kept.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      '✔ url',
      '✔ permissions',
      '✔ function',
      '✔ log group',
      '✔ role',
      '✔ repository',
      '✔ bucket',
      '✔ secret',
    ]);
    expect(kept[0]).toContain(
      '(not made by this deploy (no managed-by tag for this app and stage): left alone)',
    );
  });

  it('deletes what is its own and keeps what is not, one resource at a time', async () => {
    const repo = h.fake.repos.get(FN);
    if (repo) repo.resourceTags = undefined;
    await h.destroy(['--yes']);
    expect(h.fake.functions.size + h.fake.roles.size + h.fake.logGroups.size).toBe(0);
    expect(h.fake.repos.has(FN)).toBe(true);
    expect(h.fake.mutations()).not.toContain('DeleteRepository');
  });
});
