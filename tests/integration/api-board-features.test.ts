import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

let server: ServerProcess;
let api: ApiClient;
beforeAll(async () => {
  server = await startServer();
  api = new ApiClient(server.url);
  await api.signUp();
});
afterAll(() => server?.stop());

const titlesIn = async (status: string) =>
  ((await api.get(`/api/tasks?status=${status}&sort=manual`)).body.tasks as { title: string }[]).map(
    (t) => t.title,
  );

describe('labels API', () => {
  it('creates, renames and deletes labels; 409 on a taken name, 400 on a colour off the palette', async () => {
    const made = await api.post('/api/labels', { name: 'Errand', color: 'teal' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'Errand', color: 'teal', taskCount: 0 });
    expect((await api.post('/api/labels', { name: 'errand' })).status).toBe(409);
    const bad = await api.post('/api/labels', { name: 'Loud', color: '#f00' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid', field: 'color' });
    const renamed = await api.patch(`/api/labels/${made.body.id}`, { name: 'Errands' });
    expect(renamed.body.name).toBe('Errands');
    expect((await api.get('/api/labels')).body.labels.map((l: { name: string }) => l.name)).toContain(
      'Errands',
    );
    expect((await api.delete(`/api/labels/${made.body.id}`)).status).toBe(204);
    expect((await api.get(`/api/labels/${made.body.id}`)).status).toBe(404);
  });

  it('sets a task’s labels with PATCH and filters tasks with ?label= by id or name', async () => {
    const red = (await api.post('/api/labels', { name: 'Red tape', color: 'red' })).body;
    const task = (await api.post('/api/tasks', { title: 'File the forms', labels: [red.id] })).body;
    expect(task.labels).toEqual([{ id: red.id, name: 'Red tape', color: 'red' }]);
    await api.post('/api/tasks', { title: 'Unlabelled' });
    const byName = await api.get('/api/tasks?label=red%20tape');
    expect(byName.body.tasks.map((t: { title: string }) => t.title)).toEqual(['File the forms']);
    const byId = await api.get(`/api/tasks?label=${red.id}`);
    expect(byId.body.tasks).toHaveLength(1);
    const unknown = await api.patch(`/api/tasks/${task.id}`, { labels: [red.id, 999_999] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'invalid', field: 'labels' });
    expect((await api.get(`/api/tasks/${task.id}`)).body.labels).toHaveLength(1);
    const cleared = await api.patch(`/api/tasks/${task.id}`, { labels: [] });
    expect(cleared.body.labels).toEqual([]);
  });
});

describe('checklist API', () => {
  it('adds, ticks, renames and deletes items, in order; the task counts progress', async () => {
    const task = (await api.post('/api/tasks', { title: 'Move house' })).body;
    const base = `/api/tasks/${task.id}/checklist`;
    const boxes = (await api.post(base, { text: 'Boxes' })).body;
    const van = (await api.post(base, { text: 'Van' })).body;
    const first = await api.post(base, { text: 'Keys', position: 'first' });
    expect(first.status).toBe(201);
    expect((await api.get(base)).body.items.map((i: { text: string }) => i.text)).toEqual([
      'Keys',
      'Boxes',
      'Van',
    ]);
    const ticked = await api.patch(`${base}/${van.id}`, { done: true });
    expect(ticked.body).toMatchObject({ text: 'Van', done: true });
    expect((await api.get(`/api/tasks/${task.id}`)).body.checklist).toEqual({ done: 1, total: 3 });
    await api.patch(`${base}/${boxes.id}`, { text: 'Boxes and tape' });
    expect((await api.delete(`${base}/${boxes.id}`)).status).toBe(204);
    expect((await api.get(base)).body.items.map((i: { text: string }) => i.text)).toEqual(['Keys', 'Van']);
  });

  it('answers 400 for bad input and 404 for another task’s item, changing nothing', async () => {
    const a = (await api.post('/api/tasks', { title: 'A' })).body;
    const b = (await api.post('/api/tasks', { title: 'B' })).body;
    const item = (await api.post(`/api/tasks/${b.id}/checklist`, { text: 'B’s' })).body;
    for (const body of [{}, { text: '  ' }, { text: 'x', done: 'yes' }, { text: 'x', position: 'top' }]) {
      const res = await api.post(`/api/tasks/${a.id}/checklist`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.patch(`/api/tasks/${a.id}/checklist/${item.id}`, { done: true })).status).toBe(404);
    expect((await api.post('/api/tasks/999999/checklist', { text: 'x' })).status).toBe(404);
    expect((await api.get(`/api/tasks/${a.id}/checklist`)).body.items).toEqual([]);
    expect((await api.get(`/api/tasks/${b.id}/checklist/${item.id}`)).body.done).toBe(false);
  });
});

describe('card order and the trash', () => {
  it('PATCH position places a card after another in its column', async () => {
    const one = (await api.post('/api/tasks', { title: 'One', status: 'doing' })).body;
    const two = (await api.post('/api/tasks', { title: 'Two', status: 'doing' })).body;
    const three = (await api.post('/api/tasks', { title: 'Three', status: 'doing' })).body;
    expect(await titlesIn('doing')).toEqual(['Three', 'Two', 'One']);
    await api.patch(`/api/tasks/${three.id}`, { position: { after: one.id } });
    expect(await titlesIn('doing')).toEqual(['Two', 'One', 'Three']);
    const bad = await api.patch(`/api/tasks/${two.id}`, { position: { after: 999_999 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('position');
    expect(await titlesIn('doing')).toEqual(['Two', 'One', 'Three']);
  });

  it('restores a deleted task exactly through /api/trash, once', async () => {
    const label = (await api.post('/api/labels', { name: 'Keep', color: 'blue' })).body;
    const task = (await api.post('/api/tasks', { title: 'Restore me', status: 'done', labels: [label.id] }))
      .body;
    await api.post(`/api/tasks/${task.id}/checklist`, { text: 'Part', done: true });
    const before = (await api.get(`/api/tasks/${task.id}`)).body;
    expect((await api.delete(`/api/tasks/${task.id}`)).status).toBe(204);
    expect((await api.get(`/api/tasks/${task.id}`)).status).toBe(404);
    const trash = (await api.get('/api/trash')).body.trash;
    const entry = trash.find((e: { itemId: number }) => e.itemId === task.id);
    expect(entry).toMatchObject({ kind: 'task', title: 'Restore me' });
    const restored = await api.post(`/api/trash/${entry.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.task).toEqual(before);
    expect((await api.post(`/api/trash/${entry.id}/restore`)).status).toBe(404);
    expect((await api.post('/api/trash/abc/restore')).status).toBe(400);
  });
});

describe('Markdown preview API', () => {
  it('renders a description as the task page does, inert, and refuses what a description may not be', async () => {
    const res = await api.post('/api/markdown', {
      text: '**Bold** <script>alert(1)</script> [x](javascript:alert(1)) https://example.com',
    });
    expect(res.status).toBe(200);
    expect(res.body.html).toContain('<strong>Bold</strong>');
    expect(res.body.html).toContain('&lt;script&gt;');
    expect(res.body.html).not.toContain('<script');
    expect(res.body.html).not.toMatch(/href="javascript:/i);
    expect(res.body.html).toContain('rel="noopener noreferrer nofollow ugc"');
    const long = await api.post('/api/markdown', { text: 'x'.repeat(10_001) });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ code: 'invalid', field: 'description' });
    expect((await api.post('/api/markdown', { text: 42 })).status).toBe(400);
    const anonymous = await fetch(`${server.url}/api/markdown`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi' }),
    });
    expect(anonymous.status).toBe(401);
  });
});
