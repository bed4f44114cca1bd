import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

/**
 * Export, import and account deletion on real S3, with two server processes (two instances of a
 * fleet) behind a fault-injecting proxy: what one writes the other reads at once; an import is
 * applied once per Idempotency-Key across both; deleting an account removes the directory rows
 * first and then the objects, and a failure between the two leaves nothing anyone can see.
 */

type Client = ApiClient & { email: string; id: number; personal: string };

/** An export with a bit of everything: two workspaces, projects, labels, checklists, positions. */
const SEED = JSON.stringify({
  format: 'code-canvas-export',
  version: 1,
  workspaces: [
    {
      name: 'Personal',
      personal: true,
      projects: [{ name: 'Inbox', inbox: true }, { name: 'Home' }],
      labels: [
        {
          name: 'Urgent',
          color: 'red',
          createdAt: '2026-01-02T03:04:05.000Z',
          updatedAt: '2026-01-02T03:04:05.000Z',
        },
        {
          name: 'Errand',
          color: 'teal',
          createdAt: '2026-01-02T03:04:05.000Z',
          updatedAt: '2026-01-02T03:04:05.000Z',
        },
      ],
      tasks: [
        {
          title: 'Pay rent',
          description: 'before *Friday*\nby transfer',
          status: 'doing',
          priority: 'high',
          dueDate: '2026-02-01',
          project: 'Home',
          labels: ['Urgent', 'Errand'],
          position: -3.5,
          createdAt: '2026-01-05T08:00:00.000Z',
          updatedAt: '2026-01-06T09:00:00.000Z',
          checklist: [
            { text: 'find the IBAN', done: true, position: 1 },
            { text: 'send it', done: false, position: 2 },
          ],
        },
        { title: 'Buy milk', position: 1, createdAt: '2026-01-07T08:00:00.000Z' },
      ],
    },
    {
      name: 'Choir',
      labels: [{ name: 'Concert', color: 'purple' }],
      tasks: [
        { title: 'Book the hall', labels: ['Concert'], checklist: [{ text: 'ask the vicar', done: true }] },
      ],
    },
  ],
});

describeWithS3('account data on S3', () => {
  let bucket: string;
  let s3: S3Client;
  let proxy: FaultProxy;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    s3 = createTestS3Client();
    bucket = await createTestBucket({ versioned: false, purpose: 'account' });
    proxy = await new FaultProxy(appS3Env(bucket).CC_S3_ENDPOINT as string).start();
    const env = { ...appS3Env(bucket, { timeoutMs: 3000 }), CC_S3_ENDPOINT: proxy.url };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await proxy?.close();
    s3?.destroy();
    if (bucket) await deleteTestBucket(bucket);
  });

  async function person(server: ServerProcess, label: string): Promise<Client> {
    const api = new ApiClient(server.url);
    const email = uniqueEmail(label);
    const user = await api.signUp(email);
    return Object.assign(api, { email, id: user.id, personal: user.personalWorkspaceId });
  }

  /** The same account on the other instance. */
  function on(server: ServerProcess, from: ApiClient): ApiClient {
    const c = new ApiClient(server.url);
    c.cookie = from.cookie;
    return c;
  }

  /** An export with what must not differ between two accounts holding the same data. */
  async function content(api: ApiClient): Promise<unknown> {
    const res = await api.get('/api/export');
    expect(res.status).toBe(200);
    return res.body.workspaces.map(
      (w: {
        name: string;
        personal: boolean;
        projects: unknown[];
        labels: unknown[];
        tasks: Record<string, unknown>[];
      }) => ({
        name: w.name,
        personal: w.personal,
        projects: w.projects.map((p) => ({ ...(p as object), createdAt: 'same', updatedAt: 'same' })),
        labels: w.labels,
        tasks: w.tasks.map(({ createdBy: _, updatedBy: __, ...t }) => t),
      }),
    );
  }

  async function exists(key: string): Promise<boolean> {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return false;
      throw err;
    }
  }

  it('round-trips: an export imported into a new account gives the same data, checklists and labels included', async () => {
    const ann = await person(a, 'ann');
    const seeded = await ann.request('POST', '/api/import', SEED, { 'content-type': 'application/json' });
    expect(seeded.status).toBe(201);
    // Written on one instance, exported from the other: read-your-writes across the fleet.
    const exported = await on(b, ann).get('/api/export');
    expect(exported.status).toBe(200);
    const tasks = exported.body.workspaces[0].tasks as { title: string }[];
    expect(tasks.map((t) => t.title)).toEqual(['Buy milk', 'Pay rent']);
    expect(tasks[1]).toMatchObject({
      title: 'Pay rent',
      labels: ['Errand', 'Urgent'],
      checklist: [
        { text: 'find the IBAN', done: true, position: 1 },
        { text: 'send it', done: false, position: 2 },
      ],
      createdBy: ann.email,
    });

    const bob = await person(b, 'bob');
    const key = randomUUID();
    const first = await bob.request('POST', '/api/import', JSON.stringify(exported.body), {
      'content-type': 'application/json',
      'idempotency-key': key,
    });
    expect(first.status).toBe(201);
    expect(first.body.totals).toEqual({ workspaces: 1, projects: 1, labels: 3, tasks: 3, checklistItems: 3 });
    expect(await content(on(a, bob))).toEqual(await content(ann));

    // The same request again, on the other instance: the same answer, nothing twice.
    const again = await on(a, bob).request('POST', '/api/import', JSON.stringify(exported.body), {
      'content-type': 'application/json',
      'idempotency-key': key,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await content(bob)).toEqual(await content(ann));
  });

  it('applies one import once when the same key arrives at both instances at the same time', async () => {
    const cat = await person(a, 'cat');
    const key = randomUUID();
    const send = (api: ApiClient) =>
      (async () => {
        for (let i = 0; ; i++) {
          const res = await api.request('POST', '/api/import', SEED, {
            'content-type': 'application/json',
            'idempotency-key': key,
          });
          if (res.status !== 409 || res.body.error.code !== 'idempotency_key_in_use' || i > 100) return res;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
    const answers = await Promise.all([send(cat), send(on(b, cat)), send(cat), send(on(b, cat))]);
    for (const res of answers) expect(res.status).toBe(201);
    const workspaces = (await cat.get('/api/workspaces')).body.workspaces;
    expect(workspaces.map((w: { name: string }) => w.name)).toEqual(['Personal', 'Choir']);
    expect((await cat.get('/api/tasks')).body.tasks).toHaveLength(2);
    expect((await cat.get(`/api/workspaces/${workspaces[1].id}/tasks`)).body.tasks).toHaveLength(1);
  });

  it('completes an import that stopped between its objects (lost answers) when the same key is sent again', async () => {
    const fay = await person(a, 'fay');
    const key = randomUUID();
    const send = (api: ApiClient) =>
      api.request('POST', '/api/import', SEED, {
        'content-type': 'application/json',
        'idempotency-key': key,
      });
    // Every upload lands but its answer is lost, and the check that would prove it fails too.
    const droppedBefore = proxy.counts.dropped.length;
    await proxy.set({
      mode: 'drop-response',
      methods: ['PUT'],
      otherwise: { mode: 'error-503', methods: ['HEAD'] },
    });
    let first: Awaited<ReturnType<typeof send>>;
    try {
      first = await send(fay);
    } finally {
      await proxy.set('pass');
    }
    expect(first.status).toBe(503);
    // What landed: the new workspace whole, then the directory row pointing at it — not the rest.
    const landed = proxy.counts.dropped
      .slice(droppedBefore)
      .map((d) =>
        withDatabase(
          d.body,
          (db) => (db.prepare("SELECT value FROM meta WHERE key = 'kind'").get() as { value: string }).value,
        ),
      );
    expect(landed).toEqual(['workspace', 'directory']);
    const done = await send(on(b, fay));
    expect(done.status).toBe(201);
    const again = await send(fay);
    expect(again.body).toEqual(done.body);
    const workspaces = (await fay.get('/api/workspaces')).body.workspaces;
    expect(workspaces.map((w: { name: string }) => w.name)).toEqual(['Personal', 'Choir']);
    expect(workspaces[1].id).toBe(done.body.workspaces[1].id);
    expect((await fay.get('/api/tasks')).body.tasks).toHaveLength(2);
    expect((await fay.get(`/api/workspaces/${workspaces[1].id}/tasks`)).body.tasks).toHaveLength(1);
  });

  it('deletes an account: its rows first (an heir owns what others share), then its objects', async () => {
    const ann = await person(a, 'del-ann');
    const bob = await person(b, 'del-bob');
    const make = async (owner: Client, name: string) => {
      const id = (await owner.post('/api/workspaces', { name })).body.workspace.id as string;
      expect((await owner.post(`/api/workspaces/${id}/tasks`, { title: `in ${name}` })).status).toBe(201);
      return id;
    };
    const join = async (owner: Client, id: string, member: Client) => {
      const inv = await owner.post(`/api/workspaces/${id}/invitations`, { email: member.email });
      expect((await member.post(`/api/invitations/${inv.body.invitation.id}/accept`)).status).toBe(200);
    };
    expect((await ann.post('/api/tasks', { title: 'private' })).status).toBe(201);
    const solo = await make(ann, 'Solo');
    const team = await make(ann, 'Team');
    await join(ann, team, bob);
    const bobs = await make(bob, 'Bob’s');
    await join(bob, bobs, ann);

    const plan = (await ann.get('/api/account')).body.deletion;
    expect(plan).toEqual({
      deleted: [
        { id: ann.personal, name: 'Personal', personal: true, otherMembers: 0 },
        { id: solo, name: 'Solo', personal: false, otherMembers: 0 },
      ],
      kept: [
        { id: bobs, name: 'Bob’s', newOwner: null },
        { id: team, name: 'Team', newOwner: bob.email },
      ],
    });
    expect((await on(b, ann).request('DELETE', '/api/account', { email: ann.email })).status).toBe(204);

    // On the other instance, at once: the session is gone, and the account with it.
    expect((await ann.get('/api/account')).status).toBe(401);
    expect(
      (await new ApiClient(a.url).post('/api/login', { email: ann.email, password: 'correct horse' })).status,
    ).toBe(401);
    expect(await exists(workspaceKeyOf(ann.personal))).toBe(false);
    expect(await exists(workspaceKeyOf(solo))).toBe(false);
    expect(await exists(workspaceKeyOf(team))).toBe(true);
    const bobSees = (await on(a, bob).get('/api/workspaces')).body.workspaces;
    expect(bobSees.map((w: { name: string; role: string }) => [w.name, w.role])).toEqual([
      ['Personal', 'owner'],
      ['Bob’s', 'owner'],
      ['Team', 'owner'],
    ]);
    expect((await bob.get(`/api/workspaces/${bobs}/members`)).body.members).toEqual([
      { userId: bob.id, email: bob.email, role: 'owner' },
    ]);
    // What Ann made in Team stays, made by "a former member" (no account has her id again).
    const tasks = (await bob.get(`/api/workspaces/${team}/tasks`)).body.tasks;
    expect(tasks).toEqual([expect.objectContaining({ title: 'in Team', createdBy: ann.id })]);
    const newcomer = await person(a, 'newcomer');
    expect(newcomer.id).toBeGreaterThan(ann.id);
  });

  it('deletes the account even when S3 refuses to delete its objects: they stay, unreachable, and nothing breaks', async () => {
    const dan = await person(a, 'del-dan');
    expect((await dan.post('/api/tasks', { title: 'private' })).status).toBe(201);
    const key = workspaceKeyOf(dan.personal);
    await proxy.set({ mode: 'error-503', methods: ['DELETE'] });
    try {
      expect((await dan.request('DELETE', '/api/account', { email: dan.email })).status).toBe(204);
    } finally {
      await proxy.set('pass');
    }
    expect(await exists(key)).toBe(true);
    expect((await on(b, dan).get('/api/tasks')).status).toBe(401);
    // The object is whole but nobody can reach it; signing up again with the address starts afresh.
    const stored = await downloadObject(s3, bucket, { key });
    expect(withDatabase(stored.bytes, (db) => db.prepare('SELECT title FROM tasks').all())).toEqual([
      { title: 'private' },
    ]);
    const again = new ApiClient(b.url);
    const user = await again.signUp(dan.email);
    expect(user.personalWorkspaceId).not.toBe(dan.personal);
    expect((await again.get('/api/tasks')).body.tasks).toEqual([]);
    expect(
      a
        .logs()
        .some(
          (l) =>
            l.msg === 'could not delete the object of a deleted workspace (harmless: nothing points at it)',
        ),
    ).toBe(true);
  });

  it('refuses bad input without touching the workspace object', async () => {
    const eve = await person(a, 'eve');
    const key = workspaceKeyOf(eve.personal);
    const before = (await downloadObject(s3, bucket, { key })).etag;
    const bad: [string, string, number][] = [
      [
        '{"format": "code-canvas-export", "version": 1, "workspaces": [{"name": "x", "tasks": [{"title": ""}]}]}',
        'application/json',
        400,
      ],
      ['{not json', 'application/json', 400],
      ['Title,Due date\nok,2026-02-30\n', 'text/csv', 400],
      [`Title\n${'x,'.repeat(5)}\n"unterminated\n`, 'text/csv', 400],
    ];
    for (const [body, type, status] of bad) {
      const res = await eve.request('POST', '/api/import', body, { 'content-type': type });
      expect(res.status, body).toBe(status);
      expect(res.body.error.problems.length).toBeGreaterThan(0);
    }
    expect((await downloadObject(s3, bucket, { key })).etag).toBe(before);
    // Never a 500: nothing in this file reached the "unexpected error" edge.
    for (const server of [a, b])
      expect(server.logs().filter((l) => l.msg === 'unexpected error')).toEqual([]);
  });
});
