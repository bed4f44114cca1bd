import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

/** Versions of every object (directory and workspaces) in the embedded store: one file per version. */
function storedVersions(s: ServerProcess): number {
  const root = join(s.dataDir, 'store', 'code-canvas');
  const dirs = [
    join(root, 'directory.sqlite.versions'),
    ...readdirSync(join(root, 'workspaces'))
      .filter((d) => d.endsWith('.versions'))
      .map((d) => join(root, 'workspaces', d)),
  ];
  return dirs.reduce((n, dir) => n + readdirSync(dir).filter((f) => /^\d+$/.test(f)).length, 0);
}

describe('GET /healthz', () => {
  it('answers 200 JSON once the database is ready', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready' });
  });

  it('answers 503 while the database cannot be restored, and so does every page', async () => {
    // A store endpoint that refuses connections: the restore keeps retrying.
    const s = await startServer({
      waitReady: false,
      env: {
        CC_S3_BUCKET: 'nowhere',
        CC_S3_ENDPOINT: 'http://127.0.0.1:9',
        CC_S3_TIMEOUT_MS: '200',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
      },
    });
    try {
      const health = await fetch(`${s.url}/healthz`);
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBe('1');
      expect(await health.json()).toMatchObject({ status: 'starting' });
      const page = await fetch(`${s.url}/login`);
      expect(page.status).toBe(503);
      expect(await page.text()).toMatch(/starting/);
      const api = await fetch(`${s.url}/api/tasks`);
      expect(api.status).toBe(503);
      expect((await api.json()).error.code).toBe('unavailable');
    } finally {
      await s.stop();
    }
  });
});

describe('GET /version', () => {
  it('reports name, version, commit, build time and runtime, and no secret', async () => {
    const res = await fetch(`${server.url}/version`);
    const body = await res.json();
    expect(body).toMatchObject({ name: 'code-canvas', runtime: 'node' });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.commit).toMatch(/^[0-9a-f]{7,40}$|^unknown$/);
    expect(Number.isNaN(Date.parse(body.buildTime))).toBe(false);
    expect(JSON.stringify(body)).not.toMatch(/secret|key|password/i);
  });

  it('reports the runtime it is told (container) or detects (lambda)', async () => {
    const s = await startServer({ env: { CC_RUNTIME: 'container' } });
    const l = await startServer({ env: { AWS_LAMBDA_FUNCTION_NAME: 'code-canvas-prod' } });
    try {
      expect((await (await fetch(`${s.url}/version`)).json()).runtime).toBe('container');
      expect((await (await fetch(`${l.url}/version`)).json()).runtime).toBe('lambda');
    } finally {
      await Promise.all([s.stop(), l.stop()]);
    }
  });
});

describe('every response', () => {
  it('carries the security headers, pages and static files alike', async () => {
    for (const path of ['/login', '/healthz', '/favicon.svg', '/does-not-exist']) {
      const res = await fetch(`${server.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBeTruthy();
      expect(res.headers.get('x-request-id'), path).toBeTruthy();
    }
  });

  it('is logged as one JSON line with method, path, status, duration and request id', async () => {
    await fetch(`${server.url}/version?secret=1`, { headers: { 'x-request-id': 'test-req-42' } });
    await fetch(`${server.url}/version`, {
      headers: { 'x-amzn-lambda-context': JSON.stringify({ request_id: 'lambda-7' }) },
    });
    await new Promise((r) => setTimeout(r, 50));
    const lines = server.logs().filter((l) => l.msg === 'request');
    expect(lines.find((l) => l.requestId === 'test-req-42')).toMatchObject({
      level: 'info',
      method: 'GET',
      path: '/version',
      status: 200,
    });
    expect(typeof lines.find((l) => l.requestId === 'test-req-42')?.ms).toBe('number');
    expect(lines.find((l) => l.lambdaRequestId === 'lambda-7')).toMatchObject({ requestId: 'lambda-7' });
    expect(server.lines.join('\n')).not.toContain('secret=1');
  });
});

describe('reads never write', () => {
  it('uploads nothing for page views, API reads or failed writes; a login writes only its session', async () => {
    const api = new ApiClient(server.url);
    await api.signUp('reader@example.com', 'reader password');
    await api.post('/api/tasks', { title: 'something to read' });
    const before = storedVersions(server);
    await api.get('/api/tasks');
    await api.get('/api/tasks?q=thing&sort=due');
    await api.get('/api/projects');
    await fetch(`${server.url}/`, { headers: { cookie: api.cookie } });
    const ws = (await api.get('/api/workspaces')).body.workspaces[0].id;
    for (const page of ['/', '/list', '/projects', '/members', '/settings']) {
      const res = await fetch(`${server.url}/w/${ws}${page}`, { headers: { cookie: api.cookie } });
      expect(res.status, page).toBe(200);
    }
    await fetch(`${server.url}/workspaces`, { headers: { cookie: api.cookie } });
    await fetch(`${server.url}/login`);
    await new ApiClient(server.url).post('/api/login', {
      email: 'reader@example.com',
      password: 'wrong password',
    });
    await api.post('/api/tasks', { title: '' });
    await api.patch('/api/tasks/999999', { title: 'nope' });
    await api.post('/api/workspaces', { name: '' });
    expect(storedVersions(server)).toBe(before);
    // A session is a directory row: logging in is one write, and only that.
    await new ApiClient(server.url).post('/api/login', {
      email: 'reader@example.com',
      password: 'reader password',
    });
    expect(storedVersions(server)).toBe(before + 1);
    await api.post('/api/tasks', { title: 'a real write' });
    expect(storedVersions(server)).toBe(before + 2);
  });
});

describe('start-up and shutdown', () => {
  it('refuses to start on an invalid setting, naming it', () => {
    const res = spawnSync(process.execPath, ['server.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, CC_MAX_STALENESS_MS: 'soon' },
      encoding: 'utf8',
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/CC_MAX_STALENESS_MS: "soon" is not a whole number/);
  });

  it('exits cleanly on SIGTERM without waiting for idle keep-alive connections', async () => {
    const s = await startServer();
    // An idle keep-alive connection (fetch keeps one open): a server that waited for it to close
    // would take the 65 s keep-alive timeout, far past the 10 s before Docker or Lambda kill it.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const { code, ms } = await s.stop('SIGTERM');
    expect(code).toBe(0);
    // Generous on a loaded machine; the figure itself comes from `npm run bench:shutdown`.
    expect(ms).toBeLessThan(5000);
  });
});
