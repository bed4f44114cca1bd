import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  downloadObject,
  logsWith,
  missingFrom,
  personalWorkspaceOf,
  runBounded,
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
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

const PROCESSES = 3;
const CREATIONS = 300;
const IN_FLIGHT = 60;

const titlesOf = (body: { tasks: { title: string }[] }) => body.tasks.map((t) => t.title);

describeWithS3('a fleet of servers on one bucket', (env) => {
  let bucket: string;
  let s3: S3Client;
  let fleet: ServerProcess[] = [];
  /** One user, signed up once (every process shares the directory and the signing key): one workspace. */
  const clients: ApiClient[] = [];
  let workspaceKey: string;

  beforeAll(async () => {
    s3 = createTestS3Client(env);
    bucket = await createTestBucket({ versioned: false, purpose: 'fleet' });
    // The first process creates the database; the others restore it.
    const first = await startServer({ env: appS3Env(bucket) });
    fleet = [
      first,
      ...(await Promise.all(
        Array.from({ length: PROCESSES - 1 }, () => startServer({ env: appS3Env(bucket) })),
      )),
    ];
    const owner = new ApiClient(first.url);
    await owner.signUp();
    workspaceKey = workspaceKeyOf(await personalWorkspaceOf(owner));
    for (const s of fleet) {
      const c = new ApiClient(s.url);
      c.cookie = owner.cookie;
      clients.push(c);
    }
  });
  afterAll(async () => {
    await Promise.all(fleet.map((s) => s.stop()));
    s3?.destroy();
    if (bucket) await deleteTestBucket(bucket);
  });

  it(`keeps every acknowledged task of ${CREATIONS} concurrent creations across ${PROCESSES} processes`, async () => {
    const conflictsBefore = fleet.map(
      (s) => logsWith(s, 'write conflict: another instance wrote first; applying again').length,
    );
    const t0 = performance.now();
    const results = await runBounded(CREATIONS, IN_FLIGHT, async (i) => {
      const title = `fleet task ${i}`;
      const res = await (clients[i % PROCESSES] as ApiClient).post('/api/tasks', { title });
      return { title, status: res.status, body: res.body, retryAfter: res.headers.get('retry-after') };
    });
    const ms = performance.now() - t0;

    const acknowledged = results.filter((r) => r.status === 201).map((r) => r.title);
    const refused = results.filter((r) => r.status !== 201);
    // The only refusal allowed is the documented one: 503 "busy" with Retry-After, nothing saved.
    for (const r of refused) {
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.error.code).toBe('busy');
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    const conflicts = fleet.map(
      (s, i) =>
        logsWith(s, 'write conflict: another instance wrote first; applying again').length -
        (conflictsBefore[i] ?? 0),
    );
    console.log(
      `fleet: ${CREATIONS} creations over ${PROCESSES} processes (${IN_FLIGHT} in flight) in ${Math.round(ms)} ms: ` +
        `${acknowledged.length} acknowledged, ${refused.length} answered 503; write conflicts per process: ${conflicts.join(', ')}`,
    );
    expect(acknowledged.length).toBeGreaterThan(0);

    // The final object, opened with SQLite: exactly the acknowledged tasks, each once.
    const object = await downloadObject(s3, bucket, { key: workspaceKey });
    const stored = withDatabase(object.bytes, (db) =>
      (db.prepare('SELECT title FROM tasks').all() as { title: string }[]).map((r) => r.title),
    );
    expect(missingFrom(new Set(stored), acknowledged)).toEqual([]);
    expect(stored.length).toBe(acknowledged.length);
    expect(new Set(stored).size).toBe(stored.length);

    // Every process lists all of them on its next read.
    for (const c of clients) {
      const res = await c.get('/api/tasks');
      expect(res.status).toBe(200);
      expect(titlesOf(res.body).sort()).toEqual([...acknowledged].sort());
    }
  });

  it('shows a write made on one process on the very next read on another, under load', async () => {
    // A background writer on every process keeps the object changing, so reads must download for real.
    const PAIRS = 12;
    let done = false;
    let background = 0;
    let busy = 0;
    const t0 = performance.now();
    const load = runBounded(PROCESSES, PROCESSES, async (w) => {
      while (!done) {
        const res = await (clients[w % PROCESSES] as ApiClient).post('/api/tasks', {
          title: `background ${w}-${background++}`,
        });
        expect([201, 503]).toContain(res.status);
        if (res.status === 503) busy++;
      }
    });
    try {
      for (let i = 0; i < PAIRS; i++) {
        const writer = clients[i % PROCESSES] as ApiClient;
        const reader = clients[(i + 1) % PROCESSES] as ApiClient;
        const title = `read your writes ${i}`;
        // Contention may answer 503 "busy" (nothing saved); what is under test is the read after a 201.
        let created = await writer.post('/api/tasks', { title });
        for (let retry = 0; created.status === 503 && retry < 5; retry++) {
          created = await writer.post('/api/tasks', { title });
        }
        expect(created.status).toBe(201);
        const res = await reader.get('/api/tasks?q=read%20your%20writes');
        expect(res.status).toBe(200);
        expect(titlesOf(res.body)).toContain(title);
      }
    } finally {
      done = true;
      await load;
    }
    console.log(
      `read-your-writes: ${PAIRS} write-then-read pairs in ${Math.round(performance.now() - t0)} ms beside ${background} background writes (${busy} answered 503)`,
    );
    expect(background).toBeGreaterThan(0);
  });
});
