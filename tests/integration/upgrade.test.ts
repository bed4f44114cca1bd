import { readFileSync } from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { directoryKeyOf, downloadObject, logsWith, withDatabase } from '../support/persistence-helpers.ts';
import {
  appS3Env,
  createTestBucket,
  createTestS3Client,
  deleteTestBucket,
  describeWithS3,
} from '../support/s3-env.ts';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

const FIXTURE = readFileSync(new URL('../fixtures/legacy-release.sqlite', import.meta.url));
const KEY = 'upgrade/app.sqlite';

/**
 * The first start of this release on a bucket that holds the previous release's single database
 * (tests/fixtures): several instances at once split it into the directory and personal workspaces.
 */
describeWithS3('upgrading a bucket from the single database', (env) => {
  let bucket: string;
  let s3: S3Client;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    s3 = createTestS3Client(env);
    bucket = await createTestBucket({ versioned: false, purpose: 'upgrade' });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: FIXTURE }));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    s3?.destroy();
    if (bucket) await deleteTestBucket(bucket);
  });

  it('is split once by three instances starting at once; every account finds its tasks; the old object is untouched', async () => {
    const legacyBefore = await downloadObject(s3, bucket, { key: KEY });
    servers.push(
      ...(await Promise.all(
        Array.from({ length: 3 }, () => startServer({ env: appS3Env(bucket, { key: KEY }) })),
      )),
    );
    const directory = await downloadObject(s3, bucket, { key: directoryKeyOf(KEY) });
    for (const s of servers) {
      expect((await (await fetch(`${s.url}/healthz`)).json()).etag).toBe(directory.etag);
    }
    expect(
      servers.flatMap((s) => logsWith(s, 'split done: uploading the directory')).length,
    ).toBeGreaterThanOrEqual(1);
    const accounts = withDatabase(directory.bytes, (db) =>
      db.prepare('SELECT email FROM users ORDER BY id').all(),
    );
    expect(accounts).toEqual([
      { email: 'ada@example.com' },
      { email: 'bob@example.com' },
      { email: 'cy@example.com' },
    ]);

    const expected: Record<string, string[]> = {
      ada: ['Call the plumber', 'Plant tulips', 'Read a book'],
      bob: ['Bob’s only task'],
      cy: [],
    };
    for (const [i, server] of servers.entries()) {
      for (const [name, titles] of Object.entries(expected)) {
        const api = new ApiClient(server.url);
        const login = await api.post('/api/login', {
          email: `${name}@example.com`,
          password: `${name} password`,
        });
        expect(login.status, `${name} on instance ${i}`).toBe(200);
        const tasks = (await api.get('/api/tasks')).body.tasks as {
          title: string;
          projectName: string;
          id: number;
        }[];
        expect(tasks.map((t) => t.title).sort()).toEqual(titles);
        if (name === 'ada') {
          expect(tasks.find((t) => t.title === 'Plant tulips')).toMatchObject({
            id: 1,
            projectName: 'Garden',
          });
        }
      }
    }
    // The old object is exactly as it was: a rollback to the previous release still finds it.
    const legacyAfter = await downloadObject(s3, bucket, { key: KEY });
    expect(legacyAfter.etag).toBe(legacyBefore.etag);
    expect(legacyAfter.bytes.equals(FIXTURE)).toBe(true);
  });

  it('does not split again once the directory exists', async () => {
    const next = await startServer({ env: appS3Env(bucket, { key: KEY }) });
    servers.push(next);
    expect(logsWith(next, 'splitting the single database into a directory and personal workspaces')).toEqual(
      [],
    );
  });
});
