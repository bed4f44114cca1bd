import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

// What the board's drag and drop (src/scripts/moves.ts) asks of the API, on a real server: a PATCH
// of `status` and a neighbour `position` under /api/workspaces/{wid}/tasks, sent from the page
// (same Origin, an Idempotency-Key per move), lands the card where the board shows it.

let server: ServerProcess;
let api: ApiClient;
let base: string;
beforeAll(async () => {
  server = await startServer();
  api = new ApiClient(server.url);
  const user = await api.signUp();
  base = `/api/workspaces/${user.personalWorkspaceId}/tasks`;
});
afterAll(() => server?.stop());

/** A move as the page sends it. */
function move(id: number, body: unknown, key: string) {
  return api.request('PATCH', `${base}/${id}`, body, { Origin: server.url, 'Idempotency-Key': key });
}

/** The titles of one column in the board's own order. */
async function column(status: string): Promise<string[]> {
  const res = await api.get(`${base}?status=${status}&sort=manual`);
  expect(res.status).toBe(200);
  return res.body.tasks.map((t: { title: string }) => t.title);
}

async function add(title: string, status = 'todo'): Promise<number> {
  const res = await api.post(base, { title, status });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('moving cards through the workspace API', () => {
  it('places a card after or before a neighbour in another column or its own, and says where', async () => {
    const a = await add('A');
    const b = await add('B');
    const c = await add('C', 'doing');
    const d = await add('D', 'doing');
    expect(await column('todo')).toEqual(['B', 'A']);
    expect(await column('doing')).toEqual(['D', 'C']);

    const res = await move(a, { status: 'doing', position: { after: d } }, 'move-1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: a, status: 'doing' });
    expect(await column('doing')).toEqual(['D', 'A', 'C']);
    expect(await column('todo')).toEqual(['B']);

    expect((await move(c, { status: 'doing', position: { before: d } }, 'move-2')).status).toBe(200);
    expect(await column('doing')).toEqual(['C', 'D', 'A']);
    expect((await move(b, { status: 'doing', position: 'first' }, 'move-3')).status).toBe(200);
    expect(await column('doing')).toEqual(['B', 'C', 'D', 'A']);
    expect(await column('todo')).toEqual([]);
  });

  it('applies a move sent again with its key once: the retry gets the first answer', async () => {
    const x = await add('X', 'done');
    const y = await add('Y', 'done');
    const z = await add('Z', 'done');
    expect(await column('done')).toEqual(['Z', 'Y', 'X']);
    const first = await move(x, { status: 'done', position: { before: z } }, 'retry-key');
    expect(first.status).toBe(200);
    // Someone moves it again in between; the late retry of the first move must not undo that.
    expect((await move(x, { status: 'done', position: { after: y } }, 'other-key')).status).toBe(200);
    const retry = await move(x, { status: 'done', position: { before: z } }, 'retry-key');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await column('done')).toEqual(['Z', 'Y', 'X']);
  });

  it.each([
    [{ status: 'doing', position: { after: 'seven' } }],
    [{ status: 'doing', position: { between: 1 } }],
    [{ status: 'doing', position: 'middle' }],
    [{ status: 'later', position: 'first' }],
  ])('answers 400 naming the field for %j, and moves nothing', async (body) => {
    const t = await add(`Bad ${JSON.stringify(body)}`);
    const res = await move(t, body, `bad-${Math.random()}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid');
    expect(['position', 'status']).toContain(res.body.error.field);
    expect((await api.get(`${base}/${t}`)).body.status).toBe('todo');
  });

  it('refuses a neighbour that is not in the column the card goes to (400 on position)', async () => {
    const p = await add('P');
    const q = await add('Q', 'done');
    const res = await move(p, { status: 'doing', position: { after: q } }, 'wrong-column');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid', field: 'position' });
    expect((await api.get(`${base}/${p}`)).body.status).toBe('todo');
  });
});
