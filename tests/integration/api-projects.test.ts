import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

describe('/api/projects', () => {
  it('gives every new account an Inbox, listed first', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    await api.post('/api/projects', { name: 'Alpha' });
    const { projects } = (await api.get('/api/projects')).body;
    expect(projects.map((p: { name: string; isInbox: boolean }) => [p.name, p.isInbox])).toEqual([
      ['Inbox', true],
      ['Alpha', false],
    ]);
  });

  it('creates (201), renames, and refuses a duplicate name in any case (409)', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    const created = await api.post('/api/projects', { name: 'Home' });
    expect(created.status).toBe(201);
    expect((await api.post('/api/projects', { name: 'HOME' })).status).toBe(409);
    const renamed = await api.patch(`/api/projects/${created.body.id}`, { name: 'House' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('House');
    expect((await api.patch(`/api/projects/${created.body.id}`, { name: 'inbox' })).status).toBe(409);
    expect((await api.post('/api/projects', { name: '' })).body.error.field).toBe('name');
    expect((await api.post('/api/projects', { name: 'x'.repeat(81) })).status).toBe(400);
  });

  it('deletes a project with its tasks and keeps the Inbox', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    const p = (await api.post('/api/projects', { name: 'Temporary' })).body;
    await api.post('/api/tasks', { title: 'goes', projectId: p.id });
    await api.post('/api/tasks', { title: 'stays' });
    expect((await api.delete(`/api/projects/${p.id}`)).status).toBe(204);
    expect((await api.get('/api/tasks')).body.tasks.map((t: { title: string }) => t.title)).toEqual([
      'stays',
    ]);
    const inbox = (await api.get('/api/projects')).body.projects[0];
    const res = await api.delete(`/api/projects/${inbox.id}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Inbox/);
  });

  it("answers 404 for another user's project", async () => {
    const a = new ApiClient(server.url);
    await a.signUp();
    const p = (await a.post('/api/projects', { name: 'Secret' })).body;
    const b = new ApiClient(server.url);
    await b.signUp();
    expect((await b.get(`/api/projects/${p.id}`)).status).toBe(404);
    expect((await b.patch(`/api/projects/${p.id}`, { name: 'Mine now' })).status).toBe(404);
    expect((await b.delete(`/api/projects/${p.id}`)).status).toBe(404);
    expect((await b.post('/api/tasks', { title: 'sneak', projectId: p.id })).status).toBe(400);
    expect((await a.get(`/api/projects/${p.id}`)).body.name).toBe('Secret');
  });
});
