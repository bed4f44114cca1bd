import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSnapshotStore } from '../../src/server/persistence/local-store.ts';
import { appS3Env, createTestBucket, deleteTestBucket, describeWithS3 } from '../support/s3-env.ts';

const root = join(import.meta.dirname, '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node scripts/db.ts`) in a clean environment plus `env`. */
function db(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'scripts/db.ts'), ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** A SQLite file with `rows` rows in table t. */
function makeDb(path: string, rows: number): string {
  const d = new Database(path);
  d.exec('CREATE TABLE t (n INTEGER)');
  const insert = d.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < rows; i++) insert.run(i);
  d.close();
  return path;
}

function countRows(path: string): number {
  const d = new Database(path, { readonly: true });
  try {
    return (d.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  } finally {
    d.close();
  }
}

/** A failure the operator can read: one line on stderr, no stack trace. */
function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cc-db-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('db CLI usage', () => {
  it('lists every command with --help', async () => {
    const run = await db(['--help'], {}, work);
    expect(run.code).toBe(0);
    for (const c of ['info', 'versions', 'pull', 'restore', 'push']) expect(run.stdout).toContain(`  ${c}`);
  });

  it('explains each command with <command> --help', async () => {
    const run = await db(['restore', '--help'], {}, work);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm run db -- restore --version ID');
    expect(run.stdout).toContain('--force');
  });

  it('exits 2 with the usage on bad usage', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['restore'],
      ['push', '--file', 'x.sqlite'],
      ['info', '--bogus'],
    ]) {
      const run = await db(args, {}, work);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('Usage: npm run db --');
    }
  });
});

describe('db CLI on the local store', () => {
  let env: Record<string, string>;
  let dir: string;
  let versions: { versionId: string; size: number; isLatest: boolean }[];
  beforeAll(async () => {
    dir = await mkdtemp(join(work, 'local-'));
    env = { CC_LOCAL_STORE_DIR: join(dir, 'store') };
  });

  it('says there is no database yet on an empty store', async () => {
    const run = await db(['info', '--json'], env, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ key: 'code-canvas/app.sqlite', current: null });
  });

  it('pushes SQLite files and lists them newest first', async () => {
    for (const rows of [1, 2, 3]) {
      const run = await db(
        ['push', '--file', makeDb(join(dir, `rows-${rows}.sqlite`), rows), '--yes'],
        env,
        dir,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^pushed .*rows-\d\.sqlite/);
    }
    const run = await db(['versions', '--json'], env, dir);
    versions = JSON.parse(run.stdout);
    expect(versions).toHaveLength(3);
    expect(versions.map((v) => v.isLatest)).toEqual([true, false, false]);
    const table = await db(['versions'], env, dir);
    expect(table.stdout.split('\n')[0]).toMatch(/^VERSION ID\s+LAST MODIFIED\s+SIZE\s+CURRENT$/);
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(4);
  });

  it('shows the current version with info', async () => {
    const run = await db(['info', '--json'], env, dir);
    const store = new LocalSnapshotStore({
      dir: join(dir, 'store'),
      key: 'code-canvas/app.sqlite',
      keepVersions: 100,
    });
    const head = await store.head();
    expect(JSON.parse(run.stdout).current).toMatchObject({
      etag: head?.etag,
      versionId: versions[0]?.versionId,
    });
    const human = await db(['info'], env, dir);
    expect(human.stdout).toContain(`version        ${versions[0]?.versionId}`);
  });

  it('pulls an old version to a file', async () => {
    const oldest = versions[2]?.versionId ?? '';
    const out = join(dir, 'pulled-oldest.sqlite');
    const run = await db(['pull', '--version', oldest, '--out', out], env, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(countRows(out)).toBe(1);
    expectOneLineError(await db(['pull', '--version', oldest, '--out', out], env, dir), /already exists/);
  });

  it('takes a version id that begins with a dash as the value of --version', async () => {
    // radosgw makes such ids; they must reach the store, not be refused as a missing value.
    const run = await db(['pull', '--version', '-3xYz', '--out', join(dir, 'dash.sqlite')], env, dir);
    expect(run.stderr).not.toContain('Usage');
    expectOneLineError(run, /-3xYz/);
  });

  it('restores an old version as a new current version, conditionally', async () => {
    const run = await db(['restore', '--version', versions[2]?.versionId ?? ''], env, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('--force');
    const after = JSON.parse((await db(['versions', '--json'], env, dir)).stdout);
    expect(after).toHaveLength(4);
    const out = join(dir, 'restored.sqlite');
    await db(['pull', '--out', out], env, dir);
    expect(countRows(out)).toBe(1);
  });

  it('refuses to push a file that is not a SQLite database', async () => {
    const junk = join(dir, 'junk.sqlite');
    await writeFile(junk, 'this is not a database '.repeat(50));
    expectOneLineError(await db(['push', '--file', junk, '--yes'], env, dir), /not a sound SQLite database/);
    expect(JSON.parse((await db(['versions', '--json'], env, dir)).stdout)).toHaveLength(4);
  });

  it('refuses to restore a damaged version unless forced', async () => {
    const store = new LocalSnapshotStore({
      dir: join(dir, 'store'),
      key: 'code-canvas/app.sqlite',
      keepVersions: 100,
    });
    const damaged = await store.put(new TextEncoder().encode('garbage'.repeat(100)), { unconditional: true });
    await db(['push', '--file', join(dir, 'rows-2.sqlite'), '--yes'], env, dir);
    const id = damaged.versionId ?? '';
    expectOneLineError(await db(['restore', '--version', id], env, dir), /not a sound SQLite database/);
    const forced = await db(['restore', '--version', id, '--force'], env, dir);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('warning');
  });

  it('names a version that does not exist', async () => {
    expectOneLineError(await db(['restore', '--version', '999999'], env, dir), /no version "999999"/);
  });
});

describeWithS3('db CLI on a versioned S3 bucket', () => {
  let bucket: string;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    bucket = await createTestBucket({ versioned: true, purpose: 'db-cli' });
    env = appS3Env(bucket);
    dir = await mkdtemp(join(work, 's3-'));
  });
  afterAll(async () => {
    if (bucket) await deleteTestBucket(bucket);
  });

  it('pushes, lists, pulls an old version and restores it', async () => {
    const first = await db(['push', '--file', makeDb(join(dir, 'one.sqlite'), 1), '--yes'], env, dir);
    expect(first.code, first.stderr).toBe(0);
    // Ceph's versioned buckets refuse every If-Match: the CLI must say so, and --force must work.
    const two = makeDb(join(dir, 'two.sqlite'), 2);
    const second = await db(['push', '--file', two, '--yes'], env, dir);
    if (second.code !== 0) {
      expectOneLineError(second, /does not honour conditional writes on this bucket.*--force/);
      expect((await db(['push', '--file', two, '--yes', '--force'], env, dir)).code).toBe(0);
    }

    const versions = JSON.parse((await db(['versions', '--json'], env, dir)).stdout);
    expect(versions).toHaveLength(2);
    const info = JSON.parse((await db(['info', '--json'], env, dir)).stdout);
    expect(info).toMatchObject({ location: `s3://${bucket}/code-canvas/app.sqlite` });
    expect(info.current.versionId).toBe(versions[0].versionId);

    const oldId = versions[1].versionId;
    const pulled = join(dir, 'old.sqlite');
    expect((await db(['pull', '--version', oldId, '--out', pulled], env, dir)).code).toBe(0);
    expect(countRows(pulled)).toBe(1);

    const restore = await db(['restore', '--version', oldId], env, dir);
    if (restore.code !== 0) {
      expectOneLineError(restore, /does not honour conditional writes on this bucket/);
      const forced = await db(['restore', '--version', oldId, '--force'], env, dir);
      expect(forced.code, forced.stderr).toBe(0);
    }
    const after = JSON.parse((await db(['versions', '--json'], env, dir)).stdout);
    expect(after).toHaveLength(3);
    const current = join(dir, 'current.sqlite');
    expect((await db(['pull', '--out', current], env, dir)).code).toBe(0);
    expect(countRows(current)).toBe(1);
  });

  it('refuses to push a file that is not a SQLite database', async () => {
    const junk = join(dir, 'junk.sqlite');
    await writeFile(junk, Buffer.alloc(4096, 7));
    expectOneLineError(
      await db(['push', '--file', junk, '--yes', '--force'], env, dir),
      /not a sound SQLite/,
    );
  });
});
