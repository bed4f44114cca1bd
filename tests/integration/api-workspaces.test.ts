import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

/** Two processes on one store: two instances of one fleet. */
let a: ServerProcess;
let b: ServerProcess;
beforeAll(async () => {
  a = await startServer();
  b = await startServer({ env: { CC_LOCAL_STORE_DIR: join(a.dataDir, 'store') } });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

async function person(server: ServerProcess = a): Promise<ApiClient & { email: string; id: number }> {
  const api = new ApiClient(server.url);
  const email = uniqueEmail('ws');
  const user = await api.signUp(email);
  return Object.assign(api, { email, id: user.id as number });
}

function on(server: ServerProcess, from: ApiClient): ApiClient {
  const c = new ApiClient(server.url);
  c.cookie = from.cookie;
  return c;
}

/** Creates a workspace owned by `owner`, invites `member` and has them accept; returns its id. */
async function shared(owner: ApiClient, member: ApiClient & { email: string }): Promise<string> {
  const created = await owner.post('/api/workspaces', { name: 'Team' });
  expect(created.status).toBe(201);
  const id = created.body.workspace.id as string;
  const inv = await owner.post(`/api/workspaces/${id}/invitations`, { email: member.email });
  expect(inv.status).toBe(201);
  expect((await member.post(`/api/invitations/${inv.body.invitation.id}/accept`)).status).toBe(200);
  return id;
}

describe('workspaces API', () => {
  it('lists the personal workspace after sign-up, and creates, renames and deletes a shared one', async () => {
    const me = await person();
    const list = await me.get('/api/workspaces');
    expect(list.status).toBe(200);
    expect(list.body.workspaces).toEqual([
      { id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), name: 'Personal', role: 'owner', personal: true },
    ]);
    const created = await me.post('/api/workspaces', { name: '  Launch  ' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      workspace: {
        id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        name: 'Launch',
        role: 'owner',
        personal: false,
      },
    });
    const id = created.body.workspace.id;
    expect(created.headers.get('location')).toBe(`/api/workspaces/${id}`);
    expect((await me.get(`/api/workspaces/${id}`)).body.workspace.name).toBe('Launch');
    expect(
      (await me.get(`/api/workspaces/${id}/projects`)).body.projects.map((p: { name: string }) => p.name),
    ).toEqual(['Inbox']);
    const renamed = await me.patch(`/api/workspaces/${id}`, { name: 'Launch 2' });
    expect(renamed.body.workspace.name).toBe('Launch 2');
    expect((await me.delete(`/api/workspaces/${id}`)).status).toBe(204);
    expect((await me.get(`/api/workspaces/${id}`)).status).toBe(404);
    expect((await me.get(`/api/workspaces/${id}/tasks`)).status).toBe(404);
    expect((await me.get('/api/workspaces')).body.workspaces).toHaveLength(1);
  });

  it('shares a workspace: an invitee accepts, both work in it, each task says who made and changed it', async () => {
    const owner = await person();
    const member = await person(b);
    const id = await shared(owner, member);
    expect(
      (await member.get('/api/workspaces')).body.workspaces.map((w: { role: string }) => w.role),
    ).toEqual(['owner', 'member']);
    const made = await member.post(`/api/workspaces/${id}/tasks`, { title: 'made by the member' });
    expect(made.status).toBe(201);
    expect(made.headers.get('location')).toBe(`/api/workspaces/${id}/tasks/${made.body.id}`);
    expect(made.body.createdBy).toBe(member.id);
    const changed = await owner.patch(`/api/workspaces/${id}/tasks/${made.body.id}`, { status: 'doing' });
    expect(changed.body).toMatchObject({ status: 'doing', createdBy: member.id, updatedBy: owner.id });
    const members = (await on(b, owner).get(`/api/workspaces/${id}/members`)).body.members;
    expect(members).toEqual([
      { userId: owner.id, email: owner.email, role: 'owner' },
      { userId: member.id, email: member.email, role: 'member' },
    ]);
    // The personal /api/tasks stays each one's own.
    expect((await member.get('/api/tasks')).body.tasks).toEqual([]);
  });

  it('takes a removed member out on their next request on another instance; a member may leave', async () => {
    const owner = await person(a);
    const member = await person(b);
    const leaver = await person(b);
    const id = await shared(owner, member);
    const inv = await owner.post(`/api/workspaces/${id}/invitations`, { email: leaver.email });
    await leaver.post(`/api/invitations/${inv.body.invitation.id}/accept`);
    expect((await member.get(`/api/workspaces/${id}/tasks`)).status).toBe(200);
    expect((await owner.delete(`/api/workspaces/${id}/members/${member.id}`)).status).toBe(204);
    for (const path of [
      `/api/workspaces/${id}/tasks`,
      `/api/workspaces/${id}`,
      `/api/workspaces/${id}/members`,
    ]) {
      const res = await member.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const page = await fetch(`${b.url}/w/${id}/`, { headers: { cookie: member.cookie } });
    expect(page.status).toBe(404);
    expect((await leaver.delete(`/api/workspaces/${id}/members/${leaver.id}`)).status).toBe(204);
    expect((await leaver.get(`/api/workspaces/${id}/tasks`)).status).toBe(404);
    expect((await owner.get(`/api/workspaces/${id}/members`)).body.members).toHaveLength(1);
  });

  it('declines an invitation; the invitee is not a member', async () => {
    const owner = await person();
    const invitee = await person();
    const { body } = await owner.post('/api/workspaces', { name: 'Declined' });
    const inv = await owner.post(`/api/workspaces/${body.workspace.id}/invitations`, {
      email: invitee.email,
    });
    const mine = await invitee.get('/api/invitations');
    expect(mine.body.invitations).toEqual([
      {
        id: inv.body.invitation.id,
        workspaceId: body.workspace.id,
        workspaceName: 'Declined',
        invitedBy: owner.email,
      },
    ]);
    expect((await invitee.post(`/api/invitations/${inv.body.invitation.id}/decline`)).status).toBe(204);
    expect((await invitee.get('/api/invitations')).body.invitations).toEqual([]);
    expect((await invitee.get(`/api/workspaces/${body.workspace.id}`)).status).toBe(404);
  });

  it('invites an email with no account yet: it appears once that person signs up', async () => {
    const owner = await person();
    const { body } = await owner.post('/api/workspaces', { name: 'Early' });
    const email = uniqueEmail('later');
    expect((await owner.post(`/api/workspaces/${body.workspace.id}/invitations`, { email })).status).toBe(
      201,
    );
    const newcomer = new ApiClient(b.url);
    await newcomer.signUp(email);
    expect(
      (await newcomer.get('/api/invitations')).body.invitations.map(
        (i: { workspaceName: string }) => i.workspaceName,
      ),
    ).toEqual(['Early']);
  });
});

describe('workspaces API: bad input is a clear 4xx and changes nothing', () => {
  it('answers 404 for unknown, malformed and other people’s workspaces, everywhere', async () => {
    const owner = await person();
    const stranger = await person();
    const { body } = await owner.post('/api/workspaces', { name: 'Private' });
    const id = body.workspace.id;
    await owner.post(`/api/workspaces/${id}/tasks`, { title: 'private task' });
    const ids = [id, 'AAAAAAAAAAAAAAAAAAAAAA', 'not-a-workspace', 'x'.repeat(300)];
    for (const wid of ids) {
      for (const [method, path, body] of [
        ['GET', `/api/workspaces/${wid}`, undefined],
        ['PATCH', `/api/workspaces/${wid}`, { name: 'mine now' }],
        ['DELETE', `/api/workspaces/${wid}`, undefined],
        ['GET', `/api/workspaces/${wid}/members`, undefined],
        ['POST', `/api/workspaces/${wid}/invitations`, { email: stranger.email }],
        ['GET', `/api/workspaces/${wid}/tasks`, undefined],
        ['POST', `/api/workspaces/${wid}/tasks`, { title: 'intruder' }],
        ['GET', `/api/workspaces/${wid}/tasks/1`, undefined],
        ['DELETE', `/api/workspaces/${wid}/tasks/1`, undefined],
        ['GET', `/api/workspaces/${wid}/projects`, undefined],
      ] as const) {
        const res = await stranger.request(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.error.code, `${method} ${path}`).toBe('not_found');
      }
    }
    const tasks = (await owner.get(`/api/workspaces/${id}/tasks`)).body.tasks;
    expect(tasks.map((t: { title: string }) => t.title)).toEqual(['private task']);
    expect((await owner.get(`/api/workspaces/${id}`)).body.workspace.name).toBe('Private');
    expect((await owner.get(`/api/workspaces/${id}/members`)).body.members).toHaveLength(1);
  });

  it('refuses malformed invitations, someone else’s invitation, owner-only actions by a member, and removing the last owner', async () => {
    const owner = await person();
    const member = await person();
    const outsider = await person();
    const id = await shared(owner, member);
    for (const email of ['', 'not an email', 'a@b', 'two@@at.example', 42, null]) {
      const res = await owner.post(`/api/workspaces/${id}/invitations`, { email });
      expect(res.status, String(email)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid', field: 'email' });
    }
    const inv = await owner.post(`/api/workspaces/${id}/invitations`, { email: uniqueEmail('someone') });
    const theirs = inv.body.invitation.id;
    for (const action of ['accept', 'decline']) {
      const res = await outsider.post(`/api/invitations/${theirs}/${action}`);
      expect(res.status, action).toBe(404);
      expect((await outsider.post(`/api/invitations/nonsense/${action}`)).status).toBe(404);
    }
    expect((await owner.get(`/api/workspaces/${id}/invitations`)).body.invitations).toHaveLength(1);
    expect((await outsider.get(`/api/workspaces/${id}`)).status).toBe(404);

    expect((await member.post(`/api/workspaces/${id}/invitations`, { email: outsider.email })).status).toBe(
      403,
    );
    expect((await member.patch(`/api/workspaces/${id}`, { name: 'Mine' })).status).toBe(403);
    expect((await member.delete(`/api/workspaces/${id}`)).status).toBe(403);
    expect((await member.delete(`/api/workspaces/${id}/members/${owner.id}`)).status).toBe(403);
    const last = await owner.delete(`/api/workspaces/${id}/members/${owner.id}`);
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('conflict');
    expect((await owner.delete(`/api/workspaces/${id}/members/999999`)).status).toBe(404);
    expect((await owner.delete(`/api/workspaces/${id}/members/abc`)).status).toBe(404);
    const personal = (await owner.get('/api/workspaces')).body.workspaces.find(
      (w: { personal: boolean }) => w.personal,
    );
    expect((await owner.delete(`/api/workspaces/${personal.id}`)).status).toBe(400);
    expect((await owner.post('/api/workspaces', { name: '   ' })).status).toBe(400);
    expect((await owner.post('/api/workspaces', { name: 'x'.repeat(81) })).status).toBe(400);
    expect((await owner.get(`/api/workspaces/${id}/members`)).body.members).toHaveLength(2);
    expect((await owner.get(`/api/workspaces/${id}`)).body.workspace.name).toBe('Team');
  });
});
