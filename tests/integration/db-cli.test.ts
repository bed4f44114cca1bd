import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/server/db/migrate.ts';
import { directoryMigrations, workspaceMigrations } from '../../src/server/db/migrations.ts';
import { LocalSnapshotStore } from '../../src/server/persistence/local-store.ts';
import { appS3Env, createTestBucket, deleteTestBucket, describeWithS3 } from '../support/s3-env.ts';
import { ApiClient, startServer } from '../support/server.ts';

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

/**
 * The version-keeping commands on a plain object named with --key (the legacy single database's
 * key): what they do does not depend on the kind of database. The directory and workspace targets,
 * which check the kind, have their own tests below.
 */
const K = ['--key', 'code-canvas/app.sqlite'];

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
    for (const c of ['list', 'info', 'versions', 'pull', 'restore', 'push'])
      expect(run.stdout).toContain(`  ${c}`);
    for (const o of ['--directory', '--workspace ID', '--key KEY']) expect(run.stdout).toContain(o);
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
      ['info', '--workspace', '../../etc/passwd'],
      ['info', '--directory', '--key', 'x'],
      ['list', '--directory'],
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
    const run = await db([...K, 'info', '--json'], env, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ key: 'code-canvas/app.sqlite', current: null });
  });

  it('pushes SQLite files and lists them newest first', async () => {
    for (const rows of [1, 2, 3]) {
      const run = await db(
        [...K, 'push', '--file', makeDb(join(dir, `rows-${rows}.sqlite`), rows), '--yes'],
        env,
        dir,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^pushed .*rows-\d\.sqlite/);
    }
    const run = await db([...K, 'versions', '--json'], env, dir);
    versions = JSON.parse(run.stdout);
    expect(versions).toHaveLength(3);
    expect(versions.map((v) => v.isLatest)).toEqual([true, false, false]);
    const table = await db([...K, 'versions'], env, dir);
    expect(table.stdout.split('\n')[0]).toMatch(/^VERSION ID\s+LAST MODIFIED\s+SIZE\s+CURRENT$/);
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(4);
  });

  it('shows the current version with info', async () => {
    const run = await db([...K, 'info', '--json'], env, dir);
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
    const human = await db([...K, 'info'], env, dir);
    expect(human.stdout).toContain(`version        ${versions[0]?.versionId}`);
  });

  it('pulls an old version to a file', async () => {
    const oldest = versions[2]?.versionId ?? '';
    const out = join(dir, 'pulled-oldest.sqlite');
    const run = await db([...K, 'pull', '--version', oldest, '--out', out], env, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(countRows(out)).toBe(1);
    expectOneLineError(
      await db([...K, 'pull', '--version', oldest, '--out', out], env, dir),
      /already exists/,
    );
  });

  it('takes a version id that begins with a dash as the value of --version', async () => {
    // radosgw makes such ids; they must reach the store, not be refused as a missing value.
    const run = await db([...K, 'pull', '--version', '-3xYz', '--out', join(dir, 'dash.sqlite')], env, dir);
    expect(run.stderr).not.toContain('Usage');
    expectOneLineError(run, /-3xYz/);
  });

  it('restores an old version as a new current version, conditionally', async () => {
    const run = await db([...K, 'restore', '--version', versions[2]?.versionId ?? ''], env, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('--force');
    const after = JSON.parse((await db([...K, 'versions', '--json'], env, dir)).stdout);
    expect(after).toHaveLength(4);
    const out = join(dir, 'restored.sqlite');
    await db([...K, 'pull', '--out', out], env, dir);
    expect(countRows(out)).toBe(1);
  });

  it('refuses to push a file that is not a SQLite database', async () => {
    const junk = join(dir, 'junk.sqlite');
    await writeFile(junk, 'this is not a database '.repeat(50));
    expectOneLineError(
      await db([...K, 'push', '--file', junk, '--yes'], env, dir),
      /not a sound SQLite database/,
    );
    expect(JSON.parse((await db([...K, 'versions', '--json'], env, dir)).stdout)).toHaveLength(4);
  });

  it('refuses to restore a damaged version unless forced', async () => {
    const store = new LocalSnapshotStore({
      dir: join(dir, 'store'),
      key: 'code-canvas/app.sqlite',
      keepVersions: 100,
    });
    const damaged = await store.put(new TextEncoder().encode('garbage'.repeat(100)), { unconditional: true });
    await db([...K, 'push', '--file', join(dir, 'rows-2.sqlite'), '--yes'], env, dir);
    const id = damaged.versionId ?? '';
    expectOneLineError(await db([...K, 'restore', '--version', id], env, dir), /not a sound SQLite database/);
    const forced = await db([...K, 'restore', '--version', id, '--force'], env, dir);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('warning');
  });

  it('names a version that does not exist', async () => {
    expectOneLineError(await db([...K, 'restore', '--version', '999999'], env, dir), /no version "999999"/);
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
    const first = await db([...K, 'push', '--file', makeDb(join(dir, 'one.sqlite'), 1), '--yes'], env, dir);
    expect(first.code, first.stderr).toBe(0);
    // Ceph's versioned buckets refuse every If-Match: the CLI must say so, and --force must work.
    const two = makeDb(join(dir, 'two.sqlite'), 2);
    const second = await db([...K, 'push', '--file', two, '--yes'], env, dir);
    if (second.code !== 0) {
      expectOneLineError(second, /does not honour conditional writes on this bucket.*--force/);
      expect((await db([...K, 'push', '--file', two, '--yes', '--force'], env, dir)).code).toBe(0);
    }

    const versions = JSON.parse((await db([...K, 'versions', '--json'], env, dir)).stdout);
    expect(versions).toHaveLength(2);
    const info = JSON.parse((await db([...K, 'info', '--json'], env, dir)).stdout);
    expect(info).toMatchObject({ location: `s3://${bucket}/code-canvas/app.sqlite` });
    expect(info.current.versionId).toBe(versions[0].versionId);

    const oldId = versions[1].versionId;
    const pulled = join(dir, 'old.sqlite');
    expect((await db([...K, 'pull', '--version', oldId, '--out', pulled], env, dir)).code).toBe(0);
    expect(countRows(pulled)).toBe(1);

    const restore = await db([...K, 'restore', '--version', oldId], env, dir);
    if (restore.code !== 0) {
      expectOneLineError(restore, /does not honour conditional writes on this bucket/);
      const forced = await db([...K, 'restore', '--version', oldId, '--force'], env, dir);
      expect(forced.code, forced.stderr).toBe(0);
    }
    const after = JSON.parse((await db([...K, 'versions', '--json'], env, dir)).stdout);
    expect(after).toHaveLength(3);
    const current = join(dir, 'current.sqlite');
    expect((await db([...K, 'pull', '--out', current], env, dir)).code).toBe(0);
    expect(countRows(current)).toBe(1);
  });

  it('refuses to push a file that is not a SQLite database', async () => {
    const junk = join(dir, 'junk.sqlite');
    await writeFile(junk, Buffer.alloc(4096, 7));
    expectOneLineError(
      await db([...K, 'push', '--file', junk, '--yes', '--force'], env, dir),
      /not a sound SQLite/,
    );
  });
});

describe('db CLI on the directory and workspaces', () => {
  it('lists every object with its kind and versions, and works on one workspace by id', async () => {
    const server = await startServer();
    try {
      const api = new ApiClient(server.url);
      await api.signUp();
      const team = (await api.post('/api/workspaces', { name: 'Team' })).body.workspace.id as string;
      expect((await api.post(`/api/workspaces/${team}/tasks`, { title: 'shared' })).status).toBe(201);
      const env = { CC_LOCAL_STORE_DIR: join(server.dataDir, 'store') };
      // A workspace object no directory row points at (what a crash between the two writes leaves).
      const orphan = 'AAAAAAAAAAAAAAAAAAAAAA';
      const maker = new Database(join(server.dataDir, 'orphan.sqlite'));
      migrate(maker, workspaceMigrations);
      maker.close();
      await new LocalSnapshotStore({
        dir: join(server.dataDir, 'store'),
        key: `code-canvas/workspaces/${orphan}.sqlite`,
        keepVersions: 10,
      }).put(await import('node:fs').then((fs) => fs.readFileSync(join(server.dataDir, 'orphan.sqlite'))), {
        ifNoneMatch: '*',
      });

      const list = await db(['list', '--json'], env, server.dataDir);
      expect(list.code, list.stderr).toBe(0);
      const rows = JSON.parse(list.stdout) as { key: string; kind: string; versions: number }[];
      const kinds = Object.fromEntries(rows.map((r) => [r.key, r.kind]));
      expect(kinds['code-canvas/directory.sqlite']).toBe('directory');
      expect(kinds[`code-canvas/workspaces/${team}.sqlite`]).toBe('workspace');
      expect(kinds[`code-canvas/workspaces/${orphan}.sqlite`]).toBe('workspace (unreferenced)');
      expect(rows.find((r) => r.key === `code-canvas/workspaces/${team}.sqlite`)?.versions).toBe(2);
      expect(rows).toHaveLength(4);
      const table = await db(['list'], env, server.dataDir);
      expect(table.stdout.split('\n')[0]).toMatch(/^KEY\s+KIND\s+SIZE\s+ETAG\s+VERSIONS\s+LAST MODIFIED$/);

      const info = JSON.parse(
        (await db(['info', '--workspace', team, '--json'], env, server.dataDir)).stdout,
      );
      expect(info.key).toBe(`code-canvas/workspaces/${team}.sqlite`);
      const pulled = join(server.dataDir, 'team.sqlite');
      expect((await db(['pull', '--workspace', team, '--out', pulled], env, server.dataDir)).code).toBe(0);
      const titles = new Database(pulled, { readonly: true });
      expect(titles.prepare('SELECT title FROM tasks').all()).toEqual([{ title: 'shared' }]);
      titles.close();
    } finally {
      await server.stop();
    }
  });

  it('pushes only a database of the right kind that this release can open', async () => {
    const dir = await mkdtemp(join(work, 'kinds-'));
    const env = { CC_LOCAL_STORE_DIR: join(dir, 'store') };
    const build = (name: string, fn: (d: Database.Database) => void) => {
      const path = join(dir, name);
      const d = new Database(path);
      fn(d);
      d.close();
      return path;
    };
    const empty = build('empty.sqlite', (d) => d.exec('CREATE TABLE t (n)'));
    const workspace = build('workspace.sqlite', (d) => migrate(d, workspaceMigrations));
    const newer = build('newer.sqlite', (d) => {
      migrate(d, directoryMigrations);
      d.prepare(
        "INSERT INTO schema_migrations (id, name, applied_at) VALUES (99, 'from the future', 'x')",
      ).run();
    });
    const directory = build('directory.sqlite', (d) => migrate(d, directoryMigrations));
    expectOneLineError(
      await db(['push', '--file', empty, '--yes'], env, dir),
      /not a Code Canvas directory database/,
    );
    expectOneLineError(
      await db(['push', '--file', workspace, '--yes', '--force'], env, dir),
      /is a workspace database, not a directory/,
    );
    expectOneLineError(
      await db(['push', '--file', newer, '--yes'], env, dir),
      new RegExp(
        `directory migration 99 but this release knows only up to ${Math.max(...directoryMigrations.map((m) => m.id))}\\b`,
      ),
    );
    expectOneLineError(
      await db(['push', '--workspace', 'BBBBBBBBBBBBBBBBBBBBBB', '--file', directory, '--yes'], env, dir),
      /is a directory database, not a workspace/,
    );
    expect(JSON.parse((await db(['versions', '--json'], env, dir)).stdout)).toEqual([]);
    const ok = await db(['push', '--file', directory, '--yes'], env, dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse((await db(['info', '--json'], env, dir)).stdout).key).toBe(
      'code-canvas/directory.sqlite',
    );
  });
});
