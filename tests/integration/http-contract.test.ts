import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

// Issue 11, item 9: every answer at the HTTP edge stays inside the contract — JSON errors on /api/*,
// 405 for methods nothing serves, no 500 for odd but harmless requests.

let server: ServerProcess;
let api: ApiClient;
/** The signed-in user's board: `/w/{personal workspace}/`. */
let board: string;
beforeAll(async () => {
  server = await startServer();
  api = new ApiClient(server.url);
  board = `/w/${(await api.signUp()).personalWorkspaceId}/`;
});
afterAll(() => server?.stop());

/** A raw request with the signed-in user's cookie and nothing else: what curl sends. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { cookie: api.cookie, ...headers },
    body,
    redirect: 'manual',
  });
}

/** A request through node:http, for the methods fetch refuses to send (TRACE). */
function viaNodeHttp(method: string, path: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers: { cookie: api.cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function expectJsonError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe('methods nothing serves', () => {
  it.each(['/api/tasks', '/api/nope'])('answers TRACE %s with a JSON 405 and Allow', async (path) => {
    const res = await viaNodeHttp('TRACE', path);
    await expectJsonError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toMatch(/GET/);
  });

  it('answers TRACE on a page with 405 and Allow, not 500', async () => {
    const res = await viaNodeHttp('TRACE', '/');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it.each([
    ['PUT', '/api/tasks/1', 'GET, HEAD, PATCH, DELETE'],
    ['OPTIONS', '/api/tasks', 'GET, HEAD, POST'],
    ['PUT', '/api/projects', 'GET, HEAD, POST'],
    ['DELETE', '/api/tasks/', 'GET, HEAD, POST'],
  ])('answers %s %s with a JSON 405 listing what the route serves', async (method, path, allow) => {
    const body = method === 'OPTIONS' || method === 'DELETE' ? undefined : '{}';
    const res = await raw(method, path, { 'content-type': 'application/json' }, body);
    await expectJsonError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe(allow);
  });

  it('lets a method the route serves through to it', async () => {
    await expectJsonError(
      await raw('POST', '/api/tasks/', { 'content-type': 'application/json' }, '{}'),
      400,
      'invalid',
    );
  });

  it('answers OPTIONS with 405 even before signing in (no CORS preflight is ever granted)', async () => {
    const res = await fetch(`${server.url}/api/tasks/1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'DELETE' },
    });
    await expectJsonError(res, 405, 'method_not_allowed');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('unknown API paths and malformed URLs', () => {
  it.each(['/api/nope', '/api/tasks/1/nope', '/api/', '/api/projects/1/tasks'])(
    'answers GET %s with a JSON 404',
    async (path) => {
      await expectJsonError(await raw('GET', path), 404, 'not_found');
    },
  );

  it('answers a query that is not UTF-8 (%FF) with a JSON 400', async () => {
    await expectJsonError(await raw('GET', '/api/tasks?q=%FF'), 400, 'invalid');
  });

  it('answers a page URL that is not UTF-8 with an HTML 400, not a bare text', async () => {
    const res = await raw('GET', '/list?q=%FF');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<h1>/);
  });

  it('keeps the image endpoint off: /_image is a 404, not a 500', async () => {
    for (const query of ['?href=/favicon.svg&w=100&f=png', '?href=/favicon.svg&w=100', '']) {
      const res = await raw('GET', `/_image${query}`);
      expect(res.status, query).toBe(404);
    }
  });
});

describe('state-changing requests from API clients and from other sites', () => {
  it('accepts a body-less DELETE from an API client (no Origin, no Content-Type)', async () => {
    const created = await api.post('/api/tasks', { title: 'delete me with curl' });
    const res = await raw('DELETE', `/api/tasks/${created.body.id}`);
    expect(res.status).toBe(204);
    expect((await api.get(`/api/tasks/${created.body.id}`)).status).toBe(404);
  });

  it('refuses a DELETE that says it comes from another site, in JSON, and changes nothing', async () => {
    const created = await api.post('/api/tasks', { title: 'keep me' });
    const res = await raw('DELETE', `/api/tasks/${created.body.id}`, { origin: 'https://evil.example' });
    await expectJsonError(res, 403, 'forbidden');
    expect((await api.get(`/api/tasks/${created.body.id}`)).status).toBe(200);
  });

  it.each([
    [
      'a cross-site form post',
      { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    ],
    ['a cross-site text/plain post', { origin: 'https://evil.example', 'content-type': 'text/plain' }],
    ['a body-less cross-site post', { origin: 'https://evil.example' }],
    [
      'a form post with Origin: null',
      { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' },
    ],
    ['a form post without Origin', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('refuses %s to a form action and creates nothing', async (_label, headers) => {
    const title = `csrf ${Math.random()}`;
    const res = await raw(
      'POST',
      `${board}?_action=createTask`,
      headers,
      `title=${encodeURIComponent(title)}&returnTo=/`,
    );
    expect(res.status).toBe(403);
    const tasks = (await api.get(`/api/tasks?q=${encodeURIComponent(title)}`)).body.tasks;
    expect(tasks).toEqual([]);
  });

  it('refuses a cross-site form post to the API in JSON', async () => {
    const res = await raw(
      'POST',
      '/api/tasks',
      { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      'title=x',
    );
    await expectJsonError(res, 403, 'forbidden');
  });

  it('still accepts a same-origin form post', async () => {
    const title = `same origin ${Math.random()}`;
    const res = await raw(
      'POST',
      `${board}?_action=createTask`,
      { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      `title=${encodeURIComponent(title)}&returnTo=${board}`,
    );
    expect(res.status).toBe(303);
    expect((await api.get(`/api/tasks?q=${encodeURIComponent(title)}`)).body.tasks).toHaveLength(1);
  });
});

describe('caching', () => {
  it('marks every page a signed-in user sees private, no-store', async () => {
    const task = (await api.post('/api/tasks', { title: 'cached?' })).body;
    for (const path of [
      board,
      `${board}list`,
      `${board}projects`,
      `${board}members`,
      `${board}tasks/${task.id}`,
      `${board}tasks/${task.id}/delete`,
      '/workspaces',
      '/no-such-page',
    ]) {
      const res = await raw('GET', path);
      expect(res.headers.get('cache-control'), path).toBe('private, no-store');
    }
  });

  it('marks API answers no-store', async () => {
    expect((await api.get('/api/tasks')).headers.get('cache-control')).toMatch(/no-store/);
  });
});
