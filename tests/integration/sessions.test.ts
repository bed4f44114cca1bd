import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer, TEST_SESSION_SECRET } from '../support/server.ts';

/**
 * Server-side sessions (issue: "Logout does not end a session; anyone with a copy of the database
 * can mint sessions"): two processes share one store, as two Lambda instances share one bucket.
 */
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

/** The same session cookie, sent to another server process. */
function on(server: ServerProcess, from: ApiClient): ApiClient {
  const client = new ApiClient(server.url);
  client.cookie = from.cookie;
  return client;
}

/** A cookie for the same session, signed with the test key but issued `secondsAgo` ago. */
function reissued(cookie: string, secondsAgo: number): string {
  const sid = cookie.replace('cc_session=', '').split('.')[1];
  const body = `v2.${sid}.${Math.floor(Date.now() / 1000) - secondsAgo}`;
  const mac = createHmac('sha256', TEST_SESSION_SECRET).update(`cc-session:${body}`).digest('base64url');
  return `cc_session=${body}.${mac}`;
}

describe('server-side sessions', () => {
  it('ends a session on logout: a copy of the cookie stops working on every instance at once', async () => {
    const api = new ApiClient(a.url);
    await api.signUp();
    const copy = api.cookie;
    const elsewhere = on(b, api);
    expect((await elsewhere.get('/api/tasks')).status).toBe(200);
    expect((await api.post('/api/logout', {})).status).toBe(204);
    for (const server of [a, b]) {
      const stolen = new ApiClient(server.url);
      stolen.cookie = copy;
      expect((await stolen.get('/api/tasks')).status, server.url).toBe(401);
    }
  });

  it('logs out everywhere: every session of the account ends, other accounts keep theirs', async () => {
    const first = new ApiClient(a.url);
    const user = await first.signUp(undefined, 'correct horse');
    const second = new ApiClient(b.url);
    expect((await second.post('/api/login', { email: user.email, password: 'correct horse' })).status).toBe(
      200,
    );
    const bystander = new ApiClient(b.url);
    await bystander.signUp();
    expect((await first.post('/api/logout', { everywhere: true })).status).toBe(204);
    expect((await second.get('/api/tasks')).status).toBe(401);
    expect((await on(a, second).get('/api/tasks')).status).toBe(401);
    expect((await bystander.get('/api/tasks')).status).toBe(200);
  });

  it('ends an idle session, and refreshes the idle clock of an active one without a write', async () => {
    const api = new ApiClient(a.url);
    await api.signUp();
    const idle = new ApiClient(a.url);
    idle.cookie = reissued(api.cookie, 8 * 86_400);
    expect((await idle.get('/api/tasks')).status).toBe(401);

    const active = new ApiClient(a.url);
    active.cookie = reissued(api.cookie, 2 * 3600);
    const versions = () => readdirSync(join(a.dataDir, 'store/code-canvas/directory.sqlite.versions')).length;
    const before = versions();
    const res = await active.request('GET', '/api/tasks', undefined, { cookie: active.cookie });
    expect(res.status).toBe(200);
    const refreshed = res.headers.get('set-cookie') ?? '';
    expect(refreshed).toMatch(/^cc_session=v2\./);
    const issuedAt = Number(refreshed.split(';')[0]?.split('.')[2]);
    expect(Math.abs(issuedAt - Date.now() / 1000)).toBeLessThan(120);
    expect(versions()).toBe(before);
  });

  it('keeps nothing in the database that signs or opens a session', async () => {
    const api = new ApiClient(a.url);
    await api.signUp();
    const sid = api.cookie.replace('cc_session=', '').split('.')[1] ?? '';
    const dir = join(a.dataDir, 'store/code-canvas/directory.sqlite.versions');
    const newest = readdirSync(dir)
      .filter((f) => /^\d+$/.test(f))
      .sort()
      .at(-1) as string;
    const bytes = readFileSync(join(dir, newest));
    expect(bytes.includes(Buffer.from(sid))).toBe(false);
    expect(bytes.includes(Buffer.from(TEST_SESSION_SECRET))).toBe(false);
    const db = new Database(bytes);
    try {
      const hashes = db.prepare('SELECT id_hash FROM sessions').all() as { id_hash: string }[];
      expect(hashes.length).toBeGreaterThan(0);
      for (const h of hashes) expect(h.id_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(db.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE '%key%'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});
