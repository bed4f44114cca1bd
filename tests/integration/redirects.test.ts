import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

// Issue 11, item 1: `next`, `returnTo` and `back` never send anyone to another site and never make
// a Location header Node refuses (a 500 after the write went through, so a retry duplicates it).

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

/** Targets a browser would follow off-site once it drops tabs and line breaks or reads `\` as `/`. */
const OFF_SITE = [
  '/\t/evil.example/x',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '//evil.example',
  '/\\evil.example',
  '\\/evil.example',
  '/ /evil.example',
  'https://evil.example',
  'evil.example',
  '/%2F/evil.example',
  '/%5Cevil.example',
  '/%09/evil.example',
  '/\u00a0/evil.example',
  '/\u2028/evil.example',
  '/\u202e/evil.example',
  ' /x',
  '',
];
/** Targets Node would refuse to put in a Location header (characters past U+00FF, control characters). */
const UNSENDABLE = ['/\u3002', '/\u0000x', '/\u007f', '/x\u0085'];

async function loginPageRedirect(next: string): Promise<Response> {
  return fetch(`${server.url}/login?next=${encodeURIComponent(next)}`, {
    headers: { cookie: api.cookie },
    redirect: 'manual',
  });
}

function isLocal(location: string | null): boolean {
  if (location === null) return false;
  // The way a browser resolves it: same origin, and nothing a browser strips makes it another.
  const resolved = new URL(location, server.url);
  return resolved.origin === server.url && !/[\s\\]/.test(location);
}

describe('next on /login and /signup for a signed-in user', () => {
  it.each([...OFF_SITE, ...UNSENDABLE].map((t) => [JSON.stringify(t), t]))(
    'sends %s to a page on this site, never a 500',
    async (_label, target) => {
      for (const page of ['/login', '/signup']) {
        const res = await fetch(`${server.url}${page}?next=${encodeURIComponent(target)}`, {
          headers: { cookie: api.cookie },
          redirect: 'manual',
        });
        expect(res.status, page).toBe(303);
        const location = res.headers.get('location');
        expect(isLocal(location), `${page}: ${location}`).toBe(true);
      }
    },
  );

  it('keeps a good target, query included', async () => {
    const res = await loginPageRedirect('/list?status=todo&sort=due');
    expect(res.headers.get('location')).toBe('/list?status=todo&sort=due');
  });

  it('keeps a target with characters past Latin-1, percent-encoded', async () => {
    const res = await loginPageRedirect('/list?q=caf\u00e9 \u3002');
    // Spaces are not allowed at all: the target falls back to the board.
    expect(res.headers.get('location')).toBe('/');
    const encoded = await loginPageRedirect('/list?q=caf\u00e9\u3002');
    expect(encoded.headers.get('location')).toBe('/list?q=caf%C3%A9%E3%80%82');
  });
});

describe('returnTo after a form post', () => {
  it.each([...OFF_SITE, ...UNSENDABLE].map((t) => [JSON.stringify(t), t]))(
    'creates the task once and redirects to this site for returnTo %s',
    async (_label, returnTo) => {
      const title = `returnTo ${Math.random()}`;
      const res = await fetch(`${server.url}${board}?_action=createTask`, {
        method: 'POST',
        headers: {
          cookie: api.cookie,
          origin: server.url,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ title, returnTo }).toString(),
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      expect(isLocal(res.headers.get('location')), String(res.headers.get('location'))).toBe(true);
      const tasks = (await api.get(`/api/tasks?q=${encodeURIComponent(title)}`)).body.tasks;
      expect(tasks).toHaveLength(1);
    },
  );
});

describe('back on a task page', () => {
  it('never links off-site', async () => {
    const task = (await api.post('/api/tasks', { title: 'with a back link' })).body;
    for (const back of OFF_SITE) {
      const res = await fetch(`${server.url}${board}tasks/${task.id}?back=${encodeURIComponent(back)}`, {
        headers: { cookie: api.cookie },
      });
      expect(res.status).toBe(200);
      const html = await res.text();
      const href = /<p class="breadcrumb"><a href="([^"]*)"/.exec(html)?.[1] ?? '';
      expect(href, JSON.stringify(back)).toBe(board);
    }
  });
});
