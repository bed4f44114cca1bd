import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

// A board or list asked for again while nothing on it changed is sent from memory
// (src/server/http/page-cache.ts): these check it is the render a request would get, with fresh
// form tokens, and that anything a render would show differently makes it a render again.

const TOKEN = /name="_once" value="([A-Za-z0-9_-]{22})"/g;

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body decoded (gzip or Brotli as sent). */
  html: string;
  /** Bytes on the wire. */
  wire: number;
}

/** A GET with exactly these headers, the body decoded by what Content-Encoding says. */
function get(base: string, path: string, headers: Record<string, string>): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const enc = res.headers['content-encoding'];
        const body = enc === 'gzip' ? gunzipSync(raw) : enc === 'br' ? brotliDecompressSync(raw) : raw;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          html: body.toString(),
          wire: raw.length,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const tokensOf = (html: string) => [...html.matchAll(TOKEN)].map((m) => m[1]);
const withoutTokens = (html: string) => html.replace(TOKEN, 'name="_once" value="…"');
const BROWSER = 'gzip, deflate, br, zstd';

describe('page cache: a board asked for again', () => {
  let server: ServerProcess;
  let api: ApiClient;
  let board: string;

  beforeAll(async () => {
    server = await startServer();
    api = new ApiClient(server.url);
    const me = await api.signUp('kept@example.com', 'kept password');
    board = `/w/${me.personalWorkspaceId}/`;
    for (const title of ['Water the plants', 'Call the bank']) {
      expect((await api.post('/api/tasks', { title })).status).toBe(201);
    }
  });
  afterAll(() => server.stop());

  const browse = (path: string, extra: Record<string, string> = {}) =>
    get(server.url, path, { cookie: api.cookie, 'accept-encoding': BROWSER, ...extra });

  it('is sent without a render: the same page, as gzip, with new form tokens each time', async () => {
    const rendered = await browse(board);
    expect(rendered.status).toBe(200);
    expect(rendered.headers['x-page-cache']).toBeUndefined();
    expect(rendered.headers['content-encoding']).toBe('br');

    const hits = [await browse(board), await browse(board)];
    const tokens = new Set(tokensOf(rendered.html));
    const perPage = tokens.size;
    expect(perPage).toBeGreaterThan(0);
    for (const hit of hits) {
      expect(hit.status).toBe(200);
      expect(hit.headers['x-page-cache']).toBe('hit');
      // gunzipSync checked the CRC and the length the splice wrote.
      expect(hit.headers['content-encoding']).toBe('gzip');
      expect(Number(hit.headers['content-length'])).toBe(hit.wire);
      expect(hit.headers.vary).toMatch(/Accept-Encoding/);
      expect(hit.headers['cache-control']).toBe('private, no-store');
      expect(hit.headers['content-type']).toMatch(/^text\/html/);
      expect(hit.headers['x-request-id']).toBeTruthy();
      expect(withoutTokens(hit.html)).toBe(withoutTokens(rendered.html));
      const fresh = tokensOf(hit.html);
      expect(fresh).toHaveLength(perPage);
      for (const t of fresh) {
        expect(tokens.has(t as string), 'a token seen before').toBe(false);
        tokens.add(t as string);
      }
    }
    // Uncompressed to a client that takes neither; a render (Brotli) to one that takes Brotli only.
    const plain = await browse(board, { 'accept-encoding': 'identity' });
    expect(plain.headers['x-page-cache']).toBe('hit');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(withoutTokens(plain.html)).toBe(withoutTokens(rendered.html));
    const brOnly = await browse(board, { 'accept-encoding': 'br' });
    expect(brOnly.headers['x-page-cache']).toBeUndefined();
    expect(brOnly.headers['content-encoding']).toBe('br');
  });

  it('keeps the list view too, identical to its render', async () => {
    const list = `${board}list`;
    const rendered = await browse(list);
    expect(rendered.status).toBe(200);
    const hit = await browse(list);
    expect(hit.headers['x-page-cache']).toBe('hit');
    expect(withoutTokens(hit.html)).toBe(withoutTokens(rendered.html));
    expect(hit.html).toContain('Water the plants');
  });

  it('gives each page view its own form tokens: the same form sent from two views adds two tasks', async () => {
    await browse(board);
    const views = [await browse(board), await browse(board)];
    for (const view of views) expect(view.headers['x-page-cache']).toBe('hit');
    const before = (await api.get('/api/tasks')).body.tasks.length;
    for (const view of views) {
      const form = /<form class="task-form task-form--create" method="POST" action="([^"]+)">/.exec(
        view.html,
      );
      const token = /name="_once" value="([^"]+)"/.exec(view.html.slice(form?.index ?? 0))?.[1];
      const res = await fetch(`${server.url}${(form?.[1] ?? '').replaceAll('&amp;', '&')}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: api.cookie,
          origin: server.url,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ _once: token ?? '', returnTo: board, title: 'Buy milk' }),
      });
      expect(res.status).toBe(303);
    }
    const tasks = (await api.get('/api/tasks')).body.tasks as { title: string }[];
    expect(tasks.length).toBe(before + 2);
    expect(tasks.filter((t) => t.title === 'Buy milk')).toHaveLength(2);
  });

  it('is a render again as soon as a write changed the workspace, and shows it', async () => {
    await browse(board);
    expect((await browse(board)).headers['x-page-cache']).toBe('hit');
    expect((await api.post('/api/tasks', { title: 'Fresh from the API' })).status).toBe(201);
    const after = await browse(board);
    expect(after.headers['x-page-cache']).toBeUndefined();
    expect(after.html).toContain('Fresh from the API');
    expect((await browse(board)).headers['x-page-cache']).toBe('hit');
  });

  it('is another page for another query, language or time zone, and never kept with an Undo offer', async () => {
    await browse(board);
    expect((await browse(board)).headers['x-page-cache']).toBe('hit');
    expect((await browse(`${board}?q=plants`)).headers['x-page-cache']).toBeUndefined();
    expect((await browse(board, { 'accept-language': 'de-DE' })).headers['x-page-cache']).toBeUndefined();
    const zoned = { cookie: `${api.cookie}; cc_tz=Pacific%2FKiritimati` };
    expect((await browse(board, zoned)).headers['x-page-cache']).toBeUndefined();
    expect((await browse(board, zoned)).headers['x-page-cache']).toBe('hit');

    const task = (await api.post('/api/tasks', { title: 'Deleted soon' })).body as { id: number };
    expect((await api.delete(`/api/tasks/${task.id}`)).status).toBe(204);
    const trash = (await api.get('/api/trash')).body.trash as { id: number }[];
    const undo = `${board}?undo=${trash[0]?.id}`;
    const offered = await browse(undo);
    expect(offered.html).toContain('Undo');
    expect((await browse(undo)).headers['x-page-cache']).toBeUndefined();
  });

  it('outlives other people signing up and logging in, but not a change to what its header shows', async () => {
    await browse(board);
    expect((await browse(board)).headers['x-page-cache']).toBe('hit');
    // Sign-ups and logins write the directory, but none of the rows this page shows.
    const someone = new ApiClient(server.url);
    await someone.signUp('someone@example.com', 'someone password');
    expect(
      (await someone.post('/api/login', { email: 'someone@example.com', password: 'someone password' }))
        .status,
    ).toBe(200);
    expect((await browse(board)).headers['x-page-cache']).toBe('hit');
    // An invitation for this user is counted in the header: the next view is a render showing it.
    const shared = (await someone.post('/api/workspaces', { name: 'Shared plans' })).body.workspace as {
      id: string;
    };
    const invited = await someone.post(`/api/workspaces/${shared.id}/invitations`, {
      email: 'kept@example.com',
    });
    expect(invited.status).toBe(201);
    const after = await browse(board);
    expect(after.headers['x-page-cache']).toBeUndefined();
    expect(after.html).toContain('1 invitation');
  });

  it('ends with the session: after logging out the same cookie gets the login page', async () => {
    const other = new ApiClient(server.url);
    const leaving = await other.signUp('leaving@example.com', 'leaving password');
    const cookie = other.cookie;
    const own = `/w/${leaving.personalWorkspaceId}/`;
    const view = (extra: Record<string, string> = {}) =>
      get(server.url, own, { cookie, 'accept-encoding': BROWSER, ...extra });
    await view();
    expect((await view()).headers['x-page-cache']).toBe('hit');
    expect((await other.post('/api/logout')).status).toBe(204);
    const after = await view();
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/login/);
  });

  it('is not kept for another user, nor without a session', async () => {
    await browse(board);
    expect((await browse(board)).headers['x-page-cache']).toBe('hit');
    const stranger = new ApiClient(server.url);
    await stranger.signUp('stranger@example.com', 'stranger password');
    const theirs = await get(server.url, board, { cookie: stranger.cookie, 'accept-encoding': BROWSER });
    expect(theirs.headers['x-page-cache']).toBeUndefined();
    expect(theirs.status).toBe(404);
    const nobody = await get(server.url, board, { 'accept-encoding': BROWSER });
    expect(nobody.status).toBe(303);
  });
});

describe('page cache: several instances and settings', () => {
  it('a write acknowledged by another instance is shown at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-page-cache-'));
    const shared = { CC_LOCAL_STORE_DIR: join(dir, 'store') };
    const a = await startServer({ env: { ...shared, CC_WORK_DIR: join(dir, 'a') } });
    const b = await startServer({ env: { ...shared, CC_WORK_DIR: join(dir, 'b') } });
    try {
      const onA = new ApiClient(a.url);
      const me = await onA.signUp('fleet@example.com', 'fleet password');
      const board = `/w/${me.personalWorkspaceId}/`;
      const view = () => get(a.url, board, { cookie: onA.cookie, 'accept-encoding': BROWSER });
      await view();
      expect((await view()).headers['x-page-cache']).toBe('hit');
      const onB = new ApiClient(b.url);
      onB.cookie = onA.cookie;
      expect((await onB.post('/api/tasks', { title: 'Written on B' })).status).toBe(201);
      const after = await view();
      expect(after.headers['x-page-cache']).toBeUndefined();
      expect(after.html).toContain('Written on B');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CC_PAGE_CACHE_MB=0 keeps nothing', async () => {
    const server = await startServer({ env: { CC_PAGE_CACHE_MB: '0' } });
    try {
      const api = new ApiClient(server.url);
      const me = await api.signUp('uncached@example.com', 'uncached password');
      const board = `/w/${me.personalWorkspaceId}/`;
      for (let i = 0; i < 3; i++) {
        const res = await get(server.url, board, { cookie: api.cookie, 'accept-encoding': BROWSER });
        expect(res.status).toBe(200);
        expect(res.headers['x-page-cache']).toBeUndefined();
        expect(res.headers['content-encoding']).toBe('br');
      }
    } finally {
      await server.stop();
    }
  });
});
