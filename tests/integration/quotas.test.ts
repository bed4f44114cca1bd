import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer({
    env: {
      CC_QUOTA_TASKS: '3',
      CC_QUOTA_PROJECTS: '2',
      CC_QUOTA_WORKSPACE_MB: '1',
      CC_QUOTA_WORKSPACES: '2',
    },
  });
});
afterAll(() => server?.stop());

const expectQuota = (res: { status: number; body: any }) => {
  expect(res.status).toBe(409);
  expect(res.body.error.code).toBe('quota_exceeded');
};

describe('quotas', () => {
  it('limits tasks per workspace with a clear 409, and deleting makes room again', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.post('/api/tasks', { title: `task ${i}` })).body.id);
    const refused = await api.post('/api/tasks', { title: 'one too many' });
    expectQuota(refused);
    expect(refused.body.error.message).toMatch(/limit of 3 tasks/);
    expect((await api.get('/api/tasks')).body.tasks).toHaveLength(3);
    expect((await api.delete(`/api/tasks/${ids[0]}`)).status).toBe(204);
    expect((await api.post('/api/tasks', { title: 'fits again' })).status).toBe(201);
  });

  it('limits projects per workspace (the Inbox counts)', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    expect((await api.post('/api/projects', { name: 'One' })).status).toBe(201);
    expectQuota(await api.post('/api/projects', { name: 'Two' }));
  });

  it('limits the workspaces one account owns, without leaving an object behind', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    expect((await api.post('/api/workspaces', { name: 'Second' })).status).toBe(201);
    const objects = () => readdirSync(join(server.dataDir, 'store/code-canvas/workspaces')).length;
    const before = objects();
    const refused = await api.post('/api/workspaces', { name: 'Third' });
    expectQuota(refused);
    expect(refused.body.error.message).toMatch(/own 2 workspaces/);
    expect(objects()).toBe(before);
  });

  it('shows the limit in the form, keeping what was typed, without JavaScript', async () => {
    const api = new ApiClient(server.url);
    await api.signUp();
    for (let i = 0; i < 3; i++) await api.post('/api/tasks', { title: `form ${i}` });
    const ws = (await api.get('/api/workspaces')).body.workspaces[0].id;
    const form = new URLSearchParams({ title: 'typed but refused', returnTo: `/w/${ws}/` });
    const res = await fetch(`${server.url}/w/${ws}/?_action=createTask`, {
      method: 'POST',
      headers: {
        cookie: api.cookie,
        origin: server.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form,
      redirect: 'manual',
    });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('reached its limit of 3 tasks');
    expect(html).toContain('value="typed but refused"');
  });
});

describe('the byte quota', () => {
  let big: ServerProcess;
  beforeAll(async () => {
    big = await startServer({ env: { CC_QUOTA_WORKSPACE_MB: '1' } });
  });
  afterAll(() => big?.stop());

  it('refuses writes that would grow a full workspace; status changes and deletes go through and make room', async () => {
    const api = new ApiClient(big.url);
    await api.signUp();
    const text = 'x'.repeat(9_000);
    const ids: number[] = [];
    let refused: { status: number; body: any } | undefined;
    for (let i = 0; i < 200; i++) {
      const res = await api.post('/api/tasks', { title: `big ${i}`, description: text });
      if (res.status !== 201) {
        refused = res;
        break;
      }
      ids.push(res.body.id);
    }
    // 1 MB holds about a hundred tasks of 9,000 characters, never two hundred.
    expect(refused).toBeDefined();
    expectQuota(refused as { status: number; body: any });
    expect(refused?.body.error.message).toMatch(/This workspace is full \(1\.0 MB of 1\.0 MB\)/);
    expect(ids.length).toBeGreaterThan(50);
    expectQuota(await api.patch(`/api/tasks/${ids[0]}`, { description: `${text} and more` }));
    expect((await api.patch(`/api/tasks/${ids[0]}`, { status: 'done' })).status).toBe(200);
    for (const id of ids.slice(0, 10)) expect((await api.delete(`/api/tasks/${id}`)).status).toBe(204);
    expect((await api.post('/api/tasks', { title: 'room again', description: text })).status).toBe(201);
  });
});
