import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

/**
 * The account API on a running server (local store): password changes, account deletion, and
 * import's answers to bad input — always 4xx in the error contract, never 500, nothing changed.
 */

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer({
    env: {
      CC_LOGIN_LIMIT_PER_ACCOUNT: '3',
      CC_IMPORT_LIMIT_BYTES: '4096',
      CC_QUOTA_TASKS: '5',
      CC_QUOTA_WORKSPACES: '3',
    },
  });
});
afterAll(async () => {
  await server?.stop();
});

async function person(): Promise<ApiClient & { email: string }> {
  const api = new ApiClient(server.url);
  const email = uniqueEmail('acct');
  await api.signUp(email);
  return Object.assign(api, { email });
}

async function logIn(email: string, password: string): Promise<ApiClient & { status: number }> {
  const api = new ApiClient(server.url);
  const res = await api.post('/api/login', { email, password });
  return Object.assign(api, { status: res.status });
}

/** POST /api/import with a raw body. */
function importFile(
  api: ApiClient,
  body: string,
  type: string,
  query = '',
  headers: Record<string, string> = {},
) {
  return api.request('POST', `/api/import${query}`, body, { 'content-type': type, ...headers });
}

/** The export without the parts that change on every call. */
async function snapshot(api: ApiClient): Promise<unknown> {
  const res = await api.get('/api/export');
  expect(res.status).toBe(200);
  const { exportedAt: _, ...rest } = res.body;
  return rest;
}

const exportOf = (workspaces: unknown[]) =>
  JSON.stringify({ format: 'code-canvas-export', version: 1, workspaces });

describe('account API', () => {
  it('describes the account and what deleting it would do', async () => {
    const me = await person();
    const team = (await me.post('/api/workspaces', { name: 'Solo' })).body.workspace.id;
    const res = await me.get('/api/account');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      account: { id: expect.any(Number), email: me.email, createdAt: expect.any(String), sessions: 1 },
      deletion: {
        deleted: [
          { id: expect.any(String), name: 'Personal', personal: true, otherMembers: 0 },
          { id: team, name: 'Solo', personal: false, otherMembers: 0 },
        ],
        kept: [],
      },
    });
  });

  it('changes the password: every other session ends, this one stays, the new password logs in', async () => {
    const me = await person();
    const other = await logIn(me.email, 'correct horse');
    expect(other.status).toBe(200);
    const bad = [
      [{ currentPassword: 'correct horse', newPassword: 'short' }, 'newPassword', /at least 8/],
      [{ currentPassword: 'correct horse', newPassword: 'correct horse' }, 'newPassword', /differs/],
      [{ newPassword: 'a new secret' }, 'currentPassword', /current password/],
    ] as const;
    for (const [body, field, message] of bad) {
      const res = await me.post('/api/account/password', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'invalid',
        field,
        message: expect.stringMatching(message),
      });
    }
    const changed = await me.post('/api/account/password', {
      currentPassword: 'correct horse',
      newPassword: 'a new secret',
    });
    expect(changed.status).toBe(204);
    expect((await me.get('/api/account')).status).toBe(200);
    expect((await other.get('/api/account')).status).toBe(401);
    expect((await logIn(me.email, 'correct horse')).status).toBe(401);
    expect((await logIn(me.email, 'a new secret')).status).toBe(200);
  });

  it('limits wrong current passwords like logins (then even the right one waits), and replays a keyed change', async () => {
    const me = await person();
    const wrong = { currentPassword: 'guess', newPassword: 'a new secret' };
    for (let i = 0; i < 3; i++) {
      const res = await me.post('/api/account/password', wrong);
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe('currentPassword');
    }
    const limited = await me.post('/api/account/password', { ...wrong, currentPassword: 'correct horse' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await logIn(me.email, 'correct horse')).status).toBe(200);

    const you = await person();
    const key = randomUUID();
    const body = { currentPassword: 'correct horse', newPassword: 'another secret' };
    const first = await you.post('/api/account/password', body, { 'idempotency-key': key });
    expect(first.status).toBe(204);
    // Sent again (its answer was lost, say): the same answer, not "your current password is wrong".
    const again = await you.post('/api/account/password', body, { 'idempotency-key': key });
    expect(again.status).toBe(204);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('deletes the account once its email is typed; its session and password stop working', async () => {
    const me = await person();
    const wrong = await me.request('DELETE', '/api/account', { email: 'someone@example.com' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'invalid', field: 'email' });
    expect((await me.get('/api/account')).status).toBe(200);
    const gone = await me.request('DELETE', '/api/account', { email: `  ${me.email.toUpperCase()} ` });
    expect(gone.status).toBe(204);
    expect(me.cookie).toBe('');
    expect((await logIn(me.email, 'correct horse')).status).toBe(401);
    // The address is free again.
    expect(
      (await new ApiClient(server.url).post('/api/signup', { email: me.email, password: 'x'.repeat(9) }))
        .status,
    ).toBe(201);
  });
});

describe('import API: bad input is a clear 4xx and changes nothing', () => {
  it('refuses malformed JSON, something that is not an export, and a newer format', async () => {
    const me = await person();
    const before = await snapshot(me);
    const cases: [string, RegExp][] = [
      ['{"format": "code-canvas-export", "workspaces": [', /not valid JSON/],
      ['[1, 2, 3]', /not a Code Canvas export/],
      ['{"format": "code-canvas-export", "version": 9, "workspaces": []}', /newer release/],
      ['', /empty/],
    ];
    for (const [body, message] of cases) {
      const res = await importFile(me, body, 'application/json');
      expect(res.status, body).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'invalid',
        field: 'file',
        message: expect.stringMatching(message),
      });
      expect(res.body.error.problems).toEqual([
        { where: 'The file', message: expect.stringMatching(message) },
      ]);
    }
    expect(await snapshot(me)).toEqual(before);
  });

  it('lists every bad row of a CSV, with its row number, and imports none of the good ones', async () => {
    const me = await person();
    const csv =
      'Title,Status,Priority,Due date\nGood,done,low,\n,doing,,\nThird,someday,urgent!,2026-13-01\n';
    const res = await importFile(me, csv, 'text/csv');
    expect(res.status).toBe(400);
    expect(res.body.error.problems).toEqual([
      { where: 'Row 3', row: 3, field: 'Title', message: 'Title is required.' },
      { where: 'Row 4', row: 4, field: 'Status', message: '"someday" is not one of: To do, Doing, Done.' },
      { where: 'Row 4', row: 4, field: 'Due date', message: '2026-13-01 is not a real date.' },
    ]);
    expect((await me.get('/api/tasks')).body.tasks).toEqual([]);
  });

  it('answers 413 past CC_IMPORT_LIMIT_BYTES, 415 for another type, 404 for a workspace not yours', async () => {
    const me = await person();
    const big = `Title\n${'a long enough title\n'.repeat(300)}`;
    const tooBig = await importFile(me, big, 'text/csv');
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toMatchObject({
      code: 'payload_too_large',
      message: expect.stringMatching(/4 KB/),
    });
    const xml = await importFile(me, '<tasks/>', 'application/xml');
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe('unsupported_media_type');
    const stranger = await person();
    const theirs = (await stranger.get('/api/workspaces')).body.workspaces[0].id;
    for (const target of [theirs, 'not-an-id']) {
      const res = await importFile(me, 'Title\nx\n', 'text/csv', `?workspace=${target}`);
      expect(res.status).toBe(404);
    }
    expect((await me.get('/api/tasks')).body.tasks).toEqual([]);
    expect((await stranger.get('/api/tasks')).body.tasks).toEqual([]);
  });

  it('refuses an import that does not fit a workspace (409 with how much would), changing nothing', async () => {
    const me = await person();
    expect((await me.post('/api/tasks', { title: 'already here' })).status).toBe(201);
    const before = await snapshot(me);
    const csv = `Title\n${['one', 'two', 'three', 'four', 'five'].join('\n')}\n`;
    for (const query of ['?dryRun=1', '']) {
      const res = await importFile(me, csv, 'text/csv', query);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({
        code: 'quota_exceeded',
        message: expect.stringMatching(
          /brings 5 tasks, but “Personal” has room for 4 more \(its limit is 5\)/,
        ),
      });
    }
    // Too many new workspaces for the account (3 at most, the personal one included).
    const ws = (name: string) => ({ name, tasks: [{ title: 't' }] });
    const many = await importFile(me, exportOf([ws('A'), ws('B'), ws('C')]), 'application/json');
    expect(many.status).toBe(409);
    expect(many.body.error.message).toMatch(/makes 3 new workspaces, but you own 1 of the 3/);
    expect(await snapshot(me)).toEqual(before);
    expect((await me.get('/api/workspaces')).body.workspaces).toHaveLength(1);
  });

  it('previews with ?dryRun=1 exactly what the import then does', async () => {
    const me = await person();
    const file = exportOf([
      {
        name: 'Home',
        personal: true,
        labels: [{ name: 'Urgent', color: 'red' }],
        tasks: [
          { title: 'Fix the tap', project: 'House', labels: ['Urgent'], checklist: [{ text: 'buy washer' }] },
          { title: 'Call Sam', status: 'doing' },
        ],
      },
      { name: 'Choir', tasks: [{ title: 'Book the hall' }] },
    ]);
    const dry = await importFile(me, file, 'application/json', '?dryRun=1');
    expect(dry.status).toBe(200);
    const personal = (await me.get('/api/workspaces')).body.workspaces[0].id;
    expect(dry.body).toEqual({
      dryRun: true,
      workspaces: [
        {
          id: personal,
          name: 'Personal',
          created: false,
          tasks: 2,
          checklistItems: 1,
          projects: ['House'],
          labels: ['Urgent'],
        },
        { id: null, name: 'Choir', created: true, tasks: 1, checklistItems: 0, projects: [], labels: [] },
      ],
      totals: { workspaces: 1, projects: 1, labels: 1, tasks: 3, checklistItems: 1 },
    });
    expect((await me.get('/api/tasks')).body.tasks).toEqual([]);
    const real = await importFile(me, file, 'application/json');
    expect(real.status).toBe(201);
    const choir = real.body.workspaces[1].id;
    expect(real.body).toEqual({
      ...dry.body,
      dryRun: false,
      workspaces: [dry.body.workspaces[0], { ...dry.body.workspaces[1], id: choir }],
    });
    expect(
      (await me.get(`/api/workspaces/${choir}/tasks`)).body.tasks.map((t: { title: string }) => t.title),
    ).toEqual(['Book the hall']);
    expect(server.logs().filter((l) => l.msg === 'unexpected error')).toEqual([]);
  });
});
