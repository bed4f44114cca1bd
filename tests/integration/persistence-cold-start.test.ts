import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { countAnswers, FaultProxy } from '../support/fault-proxy.ts';
import {
  directoryKeyOf,
  downloadObject,
  logsWith,
  personalWorkspaceOf,
  titlesIn,
  withDatabase,
  workspaceKeyOf,
} from '../support/persistence-helpers.ts';
import {
  appS3Env,
  createTestBucket,
  createTestS3Client,
  deleteTestBucket,
  describeWithS3,
} from '../support/s3-env.ts';
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describeWithS3('cold start against S3', (env) => {
  let plain: string;
  let versioned: string;
  let s3: S3Client;
  const servers: ServerProcess[] = [];
  let proxy: FaultProxy | undefined;

  beforeAll(async () => {
    s3 = createTestS3Client(env);
    [plain, versioned] = await Promise.all([
      createTestBucket({ versioned: false, purpose: 'cold' }),
      createTestBucket({ versioned: true, purpose: 'cold-ver' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    await proxy?.close();
    s3?.destroy();
    await Promise.all([plain && deleteTestBucket(plain), versioned && deleteTestBucket(versioned)]);
  });

  async function start(bucket: string, key: string, extra: Record<string, string> = {}, waitReady = true) {
    const s = await startServer({ env: { ...appS3Env(bucket, { key }), ...extra }, waitReady });
    servers.push(s);
    return s;
  }

  it('restores the data a previous process wrote, on a fresh process with a fresh disk', async () => {
    const key = 'restore/app.sqlite';
    const first = await start(plain, key);
    const email = uniqueEmail('restore');
    const api = new ApiClient(first.url);
    await api.signUp(email, 'restore password');
    const titles = ['first thing', 'second thing', 'third thing'];
    for (const title of titles) expect((await api.post('/api/tasks', { title })).status).toBe(201);
    const lastEtag = (await (await fetch(`${first.url}/healthz`)).json()).etag;
    await first.stop();

    const second = await start(plain, key);
    expect(second.dataDir).not.toBe(first.dataDir);
    const ready = logsWith(second, 'database ready')[0];
    expect(ready?.etag).toBe(lastEtag);
    expect(ready?.kind).toBe('directory');
    // Cold start restored the directory alone: no workspace was opened before a request needed one.
    expect(logsWith(second, 'database ready')).toHaveLength(1);
    // Nothing to migrate: the restore uploaded nothing, so the directory is still the one `first` wrote.
    expect((await downloadObject(s3, plain, { key: directoryKeyOf(key) })).etag).toBe(lastEtag);
    const again = new ApiClient(second.url);
    expect((await again.post('/api/login', { email, password: 'restore password' })).status).toBe(200);
    const listed = (await again.get('/api/tasks')).body.tasks.map((t: { title: string }) => t.title);
    expect(listed.sort()).toEqual([...titles].sort());
  });

  it('lets two processes race to create the first database and ends with one, shared by both', async () => {
    const key = 'race/app.sqlite';
    proxy = await new FaultProxy(env.endpoint).start();
    // Hold both processes' first download until both have asked: both see "no object" and both
    // try to create it with If-None-Match: *.
    await proxy.set({ mode: 'hold', methods: ['GET'] });
    const viaProxy = { CC_S3_ENDPOINT: proxy.url };
    const starting = [start(plain, key, viaProxy), start(plain, key, viaProxy)];
    for (let i = 0; proxy.holding < 2; i++) {
      if (i > 400) throw new Error(`only ${proxy.holding} first downloads arrived within 20 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await proxy.set('pass');
    const [a, b] = (await Promise.all(starting)) as [ServerProcess, ServerProcess];
    const counts = proxy.takeCounts();

    // Exactly one creation landed; the other process lost the conditional race and took the winner's.
    expect(countAnswers(counts, 'PUT', (s) => s >= 200 && s < 300)).toBe(1);
    expect(counts.requests.PUT).toBe(2);
    const [ha, hb] = await Promise.all([a, b].map(async (s) => (await fetch(`${s.url}/healthz`)).json()));
    const object = await downloadObject(s3, plain, { key: directoryKeyOf(key) });
    expect(ha.etag).toBe(object.etag);
    expect(hb.etag).toBe(object.etag);
    const retried = [a, b].flatMap((s) => logsWith(s, 'database restore: retrying'));
    expect(retried).toHaveLength(1);

    // One directory: a session made on one instance works on the other.
    const onA = new ApiClient(a.url);
    await onA.signUp();
    expect((await onA.post('/api/tasks', { title: 'made on A' })).status).toBe(201);
    const onB = new ApiClient(b.url);
    onB.cookie = onA.cookie;
    const res = await onB.get('/api/tasks');
    expect(res.status).toBe(200);
    expect(res.body.tasks.map((t: { title: string }) => t.title)).toEqual(['made on A']);
  });

  it('refuses to start on a corrupt directory, naming key and version, until the operator restores a good one', async () => {
    // Ceph's versioned buckets refuse every conditional put, so the good version is made on an
    // unversioned bucket and copied over as a plain upload, as an operator would `db push` it.
    const dbKey = 'corrupt/app.sqlite';
    const key = directoryKeyOf(dbKey);
    const maker = await start(plain, dbKey);
    const email = uniqueEmail('corrupt');
    const api = new ApiClient(maker.url);
    await api.signUp(email, 'corrupt password');
    expect((await api.post('/api/tasks', { title: 'survives corruption' })).status).toBe(201);
    const workspaceKey = workspaceKeyOf(await personalWorkspaceOf(api), dbKey);
    await maker.stop();
    const good = await downloadObject(s3, plain, { key });
    const workspace = await downloadObject(s3, plain, { key: workspaceKey });
    await s3.send(new PutObjectCommand({ Bucket: versioned, Key: workspaceKey, Body: workspace.bytes }));
    const put = (body: Uint8Array) =>
      s3.send(new PutObjectCommand({ Bucket: versioned, Key: key, Body: body }));
    const goodVersion = (await put(good.bytes)).VersionId;
    const garbage = Buffer.alloc(good.bytes.length, 0x5a);
    garbage.write('not a database at all', 0);
    const badVersion = (await put(garbage)).VersionId;
    expect(goodVersion).toBeTruthy();
    expect(badVersion).toBeTruthy();

    const broken = await start(versioned, dbKey, {}, false);
    const exit = await new Promise<number | null>((resolve) => {
      if (broken.proc.exitCode !== null) resolve(broken.proc.exitCode);
      else broken.proc.once('exit', (code) => resolve(code));
    });
    expect(exit).not.toBe(0);
    const failure = broken.lines.join('\n');
    expect(failure).toContain(`s3://${versioned}/${key}`);
    expect(failure).toContain(String(badVersion));
    expect(failure).toMatch(/database restore failed/);
    // Nothing replaced the corrupt object with an empty database.
    expect((await downloadObject(s3, versioned, { key })).versionId).toBe(badVersion);

    const cli = spawnSync(
      process.execPath,
      ['scripts/db.ts', 'restore', '--version', String(goodVersion), '--force'],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          ...appS3Env(versioned, { key: dbKey }),
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(cli.status, `db restore failed:\n${cli.stdout}\n${cli.stderr}`).toBe(0);
    const current = await downloadObject(s3, versioned, { key });
    expect(current.versionId).not.toBe(goodVersion);
    expect(current.versionId).not.toBe(badVersion);
    expect(current.bytes.equals(good.bytes)).toBe(true);

    // Ceph cannot write to a versioned bucket (see docs/testing.md), so no login here (a login writes
    // its session): the restored directory serves, and it is the good one, with the account in it.
    const fixed = await start(versioned, dbKey);
    const health = await (await fetch(`${fixed.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ready', versionId: current.versionId });
    const users = withDatabase(current.bytes, (db) => db.prepare('SELECT email FROM users').all());
    expect(users).toEqual([{ email }]);
    expect(titlesIn(workspace.bytes)).toEqual(new Set(['survives corruption']));
  });
});
