import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.ts';
import { downloadObject, withDatabase, workspaceKeyOf } from '../support/persistence-helpers.ts';
import {
  appS3Env,
  createTestBucket,
  createTestS3Client,
  deleteTestBucket,
  describeWithS3,
} from '../support/s3-env.ts';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

type Res = Awaited<ReturnType<ApiClient['request']>>;

/** POST with an Idempotency-Key; a 409 "still being processed" is sent again after Retry-After, as a client should. */
async function postKeyed(api: ApiClient, path: string, body: unknown, key: string): Promise<Res> {
  for (let i = 0; ; i++) {
    const res = await api.request('POST', path, body, { 'idempotency-key': key });
    if (res.status !== 409 || res.body?.error?.code !== 'idempotency_key_in_use' || i > 50) return res;
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What two answers must share to be "the same answer". */
const answerOf = (r: Res) => ({ status: r.status, body: r.body, location: r.headers.get('location') });

describeWithS3('exactly-once writes with Idempotency-Key', (env) => {
  let bucket: string;
  let s3: S3Client;
  let proxy: FaultProxy;
  let a: ServerProcess;
  let b: ServerProcess;
  let api: ApiClient;
  let onB: ApiClient;
  let workspaceKey: string;

  beforeAll(async () => {
    s3 = createTestS3Client(env);
    bucket = await createTestBucket({ versioned: false, purpose: 'idem' });
    proxy = await new FaultProxy(env.endpoint).start();
    const viaProxy = { ...appS3Env(bucket, { timeoutMs: 2000 }), CC_S3_ENDPOINT: proxy.url };
    [a, b] = await Promise.all([startServer({ env: viaProxy }), startServer({ env: viaProxy })]);
    api = new ApiClient(a.url);
    const user = await api.signUp();
    workspaceKey = workspaceKeyOf(user.personalWorkspaceId);
    onB = new ApiClient(b.url);
    onB.cookie = api.cookie;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await proxy?.close();
    s3?.destroy();
    if (bucket) await deleteTestBucket(bucket);
  });

  async function count(title: string): Promise<number> {
    return (await api.get(`/api/tasks?q=${encodeURIComponent(title)}`)).body.tasks.length;
  }

  it('creates one task for a key sent five times in a row, with five identical answers', async () => {
    const key = randomUUID();
    const title = `sequential ${key}`;
    const answers: Res[] = [];
    for (let i = 0; i < 5; i++) answers.push(await postKeyed(api, '/api/tasks', { title }, key));
    expect(answers[0]?.status).toBe(201);
    for (const r of answers) expect(answerOf(r)).toEqual(answerOf(answers[0] as Res));
    expect(answers[0]?.headers.get('idempotent-replayed')).toBeNull();
    for (const r of answers.slice(1)) expect(r.headers.get('idempotent-replayed')).toBe('true');
    expect(await count(title)).toBe(1);
  });

  it('creates one task for a key sent five times at once, to one instance and across two', async () => {
    for (const clients of [
      [api, api, api, api, api],
      [api, onB, api, onB, onB],
    ]) {
      const key = randomUUID();
      const title = `concurrent ${key}`;
      const answers = await Promise.all(clients.map((c) => postKeyed(c, '/api/tasks', { title }, key)));
      for (const r of answers) expect(answerOf(r)).toEqual(answerOf(answers[0] as Res));
      expect(answers[0]?.status).toBe(201);
      expect(await count(title)).toBe(1);
    }
  });

  it('refuses the same key with another request (422) and changes nothing', async () => {
    const key = randomUUID();
    expect((await postKeyed(api, '/api/tasks', { title: `first ${key}` }, key)).status).toBe(201);
    const reused = await postKeyed(api, '/api/tasks', { title: `second ${key}` }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await count(`second ${key}`)).toBe(0);
    // The key is per user: another user's request with the same key is theirs alone.
    const other = new ApiClient(a.url);
    await other.signUp();
    expect((await postKeyed(other, '/api/tasks', { title: `first ${key}` }, key)).status).toBe(201);
  });

  it('makes every write exactly-once: PATCH and DELETE replay their first answer', async () => {
    const task = (await api.post('/api/tasks', { title: `patched ${randomUUID()}` })).body;
    const key = randomUUID();
    const first = await api.request(
      'PATCH',
      `/api/tasks/${task.id}`,
      { status: 'doing' },
      { 'idempotency-key': key },
    );
    await api.patch(`/api/tasks/${task.id}`, { status: 'done' });
    const again = await api.request(
      'PATCH',
      `/api/tasks/${task.id}`,
      { status: 'doing' },
      { 'idempotency-key': key },
    );
    expect(answerOf(again)).toEqual(answerOf(first));
    expect((await api.get(`/api/tasks/${task.id}`)).body.status).toBe('done');
    const del = randomUUID();
    expect(
      (await api.request('DELETE', `/api/tasks/${task.id}`, undefined, { 'idempotency-key': del })).status,
    ).toBe(204);
    const replay = await api.request('DELETE', `/api/tasks/${task.id}`, undefined, {
      'idempotency-key': del,
    });
    expect(replay.status).toBe(204);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // Without the key the same DELETE is a new request: the task is gone.
    expect((await api.delete(`/api/tasks/${task.id}`)).status).toBe(404);
  });

  it('refuses malformed keys with 400 in the error contract, changing nothing', async () => {
    const title = `bad key ${randomUUID()}`;
    for (const key of ['', ' ', 'x'.repeat(256), 'tab\there', 'é-accented', 'new\nline']) {
      let res: Res;
      try {
        res = await api.request('POST', '/api/tasks', { title }, { 'idempotency-key': key });
      } catch {
        continue; // fetch itself refuses header values with line breaks
      }
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid', field: 'Idempotency-Key' });
    }
    expect(
      (await api.request('POST', '/api/tasks', { title }, { 'idempotency-key': 'x'.repeat(255) })).status,
    ).toBe(201);
    expect(await count(title)).toBe(1);
  });

  it('keeps every retried keyed write exactly once when S3 answers are dropped and cannot be settled; counts duplicates without keys', async () => {
    const run = randomUUID().slice(0, 8);
    /** A client sending a write until it gets an answer it can trust (at most `tries` times). */
    const send = async (title: string, tries: number, key?: string): Promise<number> => {
      for (let i = 0; i < tries; i++) {
        const client = i % 2 ? onB : api;
        const res = key
          ? await postKeyed(client, '/api/tasks', { title }, key)
          : await client.post('/api/tasks', { title });
        if (res.status === 201) return i + 1;
        expect(res.status).toBe(503);
      }
      return tries;
    };
    // The put lands but its answer is lost, and the HEAD that would prove it fails too: the server
    // must answer 503 "may or may not have been saved", and the client sends it again.
    await proxy.set({
      mode: 'drop-response',
      methods: ['PUT'],
      otherwise: { mode: 'error-503', methods: ['HEAD'] },
    });
    const keyed = Array.from({ length: 6 }, (_, i) => `keyed ${run} ${i}`);
    const plain = Array.from({ length: 6 }, (_, i) => `plain ${run} ${i}`);
    try {
      // With a key, the retry finds its own recorded answer in the object and gives it back.
      for (const t of keyed) expect(await send(t, 10, randomUUID())).toBe(2);
      // Without one, each retry is a new write.
      for (const t of plain) await send(t, 3);
    } finally {
      await proxy.set('pass');
    }
    const stored = await downloadObject(s3, bucket, { key: workspaceKey });
    const titles = withDatabase(stored.bytes, (db) =>
      (db.prepare('SELECT title FROM tasks').all() as { title: string }[]).map((r) => r.title),
    );
    const times = (t: string) => titles.filter((x) => x === t).length;
    for (const t of keyed) expect(times(t), t).toBe(1);
    const duplicates = plain.reduce((n, t) => n + times(t) - 1, 0);
    for (const t of plain) expect(times(t), t).toBeGreaterThanOrEqual(1);
    console.log(
      `dropped answers: ${keyed.length} keyed writes stored once each; ${duplicates} duplicates among ${plain.length} unkeyed`,
    );
    // Unsettled answers are what makes a retry duplicate: without keys some did.
    expect(duplicates).toBeGreaterThan(0);
  });
});
