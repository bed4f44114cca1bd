import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

let server: ServerProcess;
let api: ApiClient;
beforeAll(async () => {
  server = await startServer({ env: { CC_BODY_LIMIT_BYTES: '16384' } });
  api = new ApiClient(server.url);
  await api.signUp();
});
afterAll(() => server?.stop());

const isoDay = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('POST /api/tasks', () => {
  it('answers 201 with the task, defaults filled in, and a Location', async () => {
    const res = await api.post('/api/tasks', {
      title: '  Write the report  ',
      description: 'line 1\nline 2',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      title: 'Write the report',
      description: 'line 1\nline 2',
      status: 'todo',
      priority: 'normal',
      dueDate: null,
      projectName: 'Inbox',
      overdue: false,
    });
    expect(res.headers.get('location')).toBe(`/api/tasks/${res.body.id}`);
    expect((await api.get(`/api/tasks/${res.body.id}`)).body).toEqual(res.body);
  });

  it('flags a task due before today that is not done as overdue', async () => {
    const late = await api.post('/api/tasks', { title: 'late', dueDate: isoDay(-2) });
    const done = await api.post('/api/tasks', {
      title: 'late but done',
      dueDate: isoDay(-2),
      status: 'done',
    });
    const later = await api.post('/api/tasks', { title: 'later', dueDate: isoDay(3) });
    expect([late.body.overdue, done.body.overdue, later.body.overdue]).toEqual([true, false, false]);
  });

  it.each([
    [{}, 'title'],
    [{ title: '   ' }, 'title'],
    [{ title: 'x'.repeat(201) }, 'title'],
    [{ title: 7 }, 'title'],
    [{ title: 'ok', description: 'x'.repeat(10_001) }, 'description'],
    [{ title: 'ok', status: 'finished' }, 'status'],
    [{ title: 'ok', priority: 'urgent' }, 'priority'],
    [{ title: 'ok', dueDate: '2026-02-30' }, 'dueDate'],
    [{ title: 'ok', dueDate: 'tomorrow' }, 'dueDate'],
    [{ title: 'ok', projectId: 'abc' }, 'projectId'],
    [{ title: 'ok', projectId: 999_999 }, 'projectId'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const res = await api.post('/api/tasks', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid', field });
  });

  it('accepts a title of exactly 200 characters and a description of exactly 10,000', async () => {
    const res = await api.post('/api/tasks', { title: 't'.repeat(200), description: 'd'.repeat(10_000) });
    expect(res.status).toBe(201);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await api.post('/api/tasks', 'title=form', {
      'content-type': 'application/x-www-form-urlencoded',
      origin: server.url,
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    const text = await api.post('/api/tasks', '{"title":"x"}', { 'content-type': 'text/json' });
    expect(text.status).toBe(415);
  });

  it('answers 413 for a body over the configured limit, declared or streamed', async () => {
    const big = { title: 'big', description: 'x'.repeat(20_000) };
    const res = await api.post('/api/tasks', big);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('answers 400 for malformed JSON and for JSON that is not an object', async () => {
    for (const body of ['{"title":', '[1,2]', '"title"', 'null']) {
      const res = await api.post('/api/tasks', body);
      expect(res.status, body).toBe(400);
      expect(res.body.error.field).toBe('body');
    }
  });
});

describe('GET /api/tasks', () => {
  it('filters by text, status, priority and project, and sorts', async () => {
    const own = new ApiClient(server.url);
    await own.signUp();
    const work = (await own.post('/api/projects', { name: 'Work' })).body;
    await own.post('/api/tasks', { title: 'Buy milk', priority: 'low', dueDate: isoDay(5) });
    await own.post('/api/tasks', {
      title: 'Ship release',
      priority: 'high',
      projectId: work.id,
      status: 'doing',
      dueDate: isoDay(1),
    });
    await own.post('/api/tasks', { title: 'Plan 100% of it', description: 'milk_run', priority: 'normal' });
    const titles = async (q: string) =>
      ((await own.get(`/api/tasks${q}`)).body.tasks as { title: string }[]).map((t) => t.title);
    expect(await titles('?q=MILK')).toEqual(['Plan 100% of it', 'Buy milk']);
    expect(await titles('?q=100%25')).toEqual(['Plan 100% of it']);
    expect(await titles('?q=_')).toEqual(['Plan 100% of it']);
    expect(await titles('?status=doing')).toEqual(['Ship release']);
    expect(await titles('?priority=low')).toEqual(['Buy milk']);
    expect(await titles(`?project=${work.id}`)).toEqual(['Ship release']);
    expect(await titles('?sort=due')).toEqual(['Ship release', 'Buy milk', 'Plan 100% of it']);
    expect(await titles('?sort=priority')).toEqual(['Ship release', 'Plan 100% of it', 'Buy milk']);
    expect(await titles('?sort=recent')).toEqual(['Plan 100% of it', 'Ship release', 'Buy milk']);
  });

  it('answers 400 naming the bad filter', async () => {
    for (const [q, field] of [
      ['?status=nope', 'status'],
      ['?sort=random', 'sort'],
      ['?project=-1', 'project'],
    ]) {
      const res = await api.get(`/api/tasks${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
  });
});

describe('PATCH and DELETE /api/tasks/{id}', () => {
  it('changes only the given fields', async () => {
    const t = (await api.post('/api/tasks', { title: 'Original', priority: 'high', dueDate: isoDay(2) }))
      .body;
    const res = await api.patch(`/api/tasks/${t.id}`, { status: 'done', dueDate: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: 'Original', priority: 'high', status: 'done', dueDate: null });
    expect(res.body.updatedAt >= t.updatedAt).toBe(true);
  });

  it("moves a task to another of the user's projects", async () => {
    const p = (await api.post('/api/projects', { name: `Move target ${Date.now()}` })).body;
    const t = (await api.post('/api/tasks', { title: 'Mover' })).body;
    const res = await api.patch(`/api/tasks/${t.id}`, { projectId: p.id });
    expect(res.body).toMatchObject({ projectId: p.id, projectName: p.name });
  });

  it('answers 400 for a bad field and leaves the task unchanged', async () => {
    const t = (await api.post('/api/tasks', { title: 'Stable' })).body;
    const res = await api.patch(`/api/tasks/${t.id}`, { title: 'Changed', status: 'bogus' });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('status');
    expect((await api.get(`/api/tasks/${t.id}`)).body.title).toBe('Stable');
  });

  it('deletes with 204, then answers 404', async () => {
    const t = (await api.post('/api/tasks', { title: 'Doomed' })).body;
    expect((await api.delete(`/api/tasks/${t.id}`)).status).toBe(204);
    expect((await api.get(`/api/tasks/${t.id}`)).status).toBe(404);
    expect((await api.delete(`/api/tasks/${t.id}`)).status).toBe(404);
  });

  it("answers 404 for another user's task on every method, and changes nothing", async () => {
    const mine = (await api.post('/api/tasks', { title: 'Private' })).body;
    const other = new ApiClient(server.url);
    await other.signUp();
    expect((await other.get(`/api/tasks/${mine.id}`)).status).toBe(404);
    expect((await other.patch(`/api/tasks/${mine.id}`, { title: 'Hijacked' })).status).toBe(404);
    expect((await other.delete(`/api/tasks/${mine.id}`)).status).toBe(404);
    expect((await other.get('/api/tasks')).body.tasks).toEqual([]);
    expect((await api.get(`/api/tasks/${mine.id}`)).body.title).toBe('Private');
  });

  it('answers 400 for an id that is not a number, never 500', async () => {
    for (const id of ['abc', '0', '-3', '1.5', '99999999999999999999']) {
      const res = await api.get(`/api/tasks/${id}`);
      expect(res.status, id).toBe(400);
      expect(res.body.error.field).toBe('id');
    }
  });
});

describe('bad input never answers 500', () => {
  it.each([
    ['POST', '/api/tasks', { title: null, description: null, status: null }],
    ['POST', '/api/tasks', { title: { nested: true } }],
    ['POST', '/api/tasks', { title: 'x', dueDate: 20261231 }],
    ['POST', '/api/projects', { name: ['a'] }],
    ['POST', '/api/signup', { email: null, password: null }],
    ['POST', '/api/login', { email: 'a@b.co', password: { $gt: '' } }],
    ['PATCH', '/api/tasks/1', '\u0000\u0001'],
  ])('%s %s %j', async (method, path, body) => {
    const res = await api.request(method, path, body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error.code).toBeTruthy();
  });
});
