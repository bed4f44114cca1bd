import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker } from '../../docker/engine.ts';
import { appS3Env, createTestBucket, deleteTestBucket, describeWithS3 } from '../support/s3-env.ts';
import {
  buildParityImage,
  type Container,
  describeWithDocker,
  hasE2eSpecs,
  PARITY_IMAGE,
  root,
  startContainer,
} from './container.ts';

const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };
const NODE_ARCH: Record<string, string> = { amd64: 'x64', arm64: 'arm64' };

describeWithDocker('the Lambda image, run with docker', () => {
  let build: Awaited<ReturnType<typeof buildParityImage>>;
  const started: Container[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const c = await startContainer(PARITY_IMAGE, env);
    started.push(c);
    return c;
  };

  beforeAll(async () => {
    build = await buildParityImage();
  }, 900_000);
  afterAll(() => {
    for (const c of started) c.kill();
  });

  it('loads a better-sqlite3 addon built for the architecture of the image', () => {
    const imageArch = docker(['image', 'inspect', '-f', '{{.Architecture}}', PARITY_IMAGE]).trim();
    const probe = `
      const Database = require('better-sqlite3');
      const db = new Database(':memory:');
      const sqlite = db.prepare('select sqlite_version() as v').get().v;
      const addon = Object.keys(require.cache).find((f) => f.endsWith('.node'));
      console.log(JSON.stringify({ arch: process.arch, addon, machine: require('node:fs').readFileSync(addon).readUInt16LE(18), sqlite }));`;
    const out = JSON.parse(docker(['run', '--rm', '--network', 'none', PARITY_IMAGE, 'node', '-e', probe]));
    expect(out.arch).toBe(NODE_ARCH[imageArch]);
    expect(out.machine).toBe(ELF_MACHINE[out.arch]);
    expect(out.addon).toMatch(/^\/app\/node_modules\/better-sqlite3\//);
    expect(out.sqlite).toMatch(/^3\.\d+\.\d+$/);
  });

  it('carries the session key’s SSM client, and makes the key file in /tmp as the unprivileged user', () => {
    const env = JSON.parse(
      docker(['image', 'inspect', '-f', '{{json .Config.Env}}', PARITY_IMAGE]),
    ) as string[];
    expect(env).toContain('AWS_LWA_ASYNC_INIT=true');
    expect(env).toContain('CC_SESSION_KEY_FILE=/tmp/code-canvas/session.key');
    // The trace must have shipped @aws-sdk/client-ssm: loading the module loads it.
    const probe = `
      const { loadConfig } = await import('/app/src/server/config.ts');
      const { loadSessionSecret } = await import('/app/src/server/auth/session-secret.ts');
      const { SSMClient } = await import('@aws-sdk/client-ssm');
      const key = await loadSessionSecret(loadConfig());
      const { statSync } = await import('node:fs');
      const mode = (statSync(process.env.CC_SESSION_KEY_FILE).mode & 0o777).toString(8);
      console.log(JSON.stringify({ key, mode, ssm: typeof SSMClient, uid: process.getuid() }));`;
    const out = JSON.parse(
      docker(['run', '--rm', '--network', 'none', PARITY_IMAGE, 'node', '--input-type=module', '-e', probe]),
    );
    expect(out).toMatchObject({ mode: '600', ssm: 'function' });
    expect(out.key).toMatch(/^[0-9a-f]{64}$/);
    expect(out.uid).not.toBe(0);
  });

  it('reports runtime "container" and the build metadata it was built with on /version', async () => {
    const c = await start();
    const res = await fetch(`${c.url}/version`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ runtime: 'container', version: build.version, commit: build.commit });
    expect(Number.isNaN(Date.parse(String(body.buildTime)))).toBe(false);
  });

  it('ends on `docker stop` (SIGTERM to node as PID 1) cleanly, long before the 10 s kill', async () => {
    const c = await start();
    const pid1 = docker(['exec', c.name, 'cat', '/proc/1/cmdline']).replaceAll('\0', ' ').trim();
    expect(pid1).toBe('node server.ts');
    const { ms, exitCode } = c.stop();
    // Exit code 0 is node's own: a SIGKILL after the 10 s grace would be 137. The bound is generous
    // for a loaded machine; `npm run bench:shutdown` measures the real figure.
    expect(exitCode).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  it("counts logins by the Function URL's source IP, whatever X-Forwarded-For says (CC_TRUST_PROXY=lambda-url)", async () => {
    const c = await start({ CC_LOGIN_LIMIT_PER_IP: '3' });
    // What the Lambda Web Adapter sends for a Function URL invoke: the caller's address in the
    // request context it adds, and whatever X-Forwarded-For the caller wrote.
    const login = async (sourceIp: string, spoofed: string) =>
      (
        await fetch(`${c.url}/api/login`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-forwarded-for': spoofed,
            'x-amzn-request-context': JSON.stringify({
              http: { method: 'POST', sourceIp },
              stage: '$default',
            }),
          },
          body: JSON.stringify({
            email: `nobody-${randomBytes(4).toString('hex')}@example.test`,
            password: 'guess guess',
          }),
        })
      ).status;
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await login('198.51.100.20', `203.0.113.${i}`));
    expect(codes).toEqual([401, 401, 401, 429]);
    expect(await login('198.51.100.21', '203.0.113.9')).toBe(401);
  });

  describeWithS3('against the S3 server', () => {
    let bucket: string;
    beforeAll(async () => {
      // Unversioned: the container writes with conditional PUTs, which Ceph breaks in versioned buckets.
      bucket = await createTestBucket({ versioned: false, purpose: 'parity' });
    });
    afterAll(async () => {
      if (bucket) await deleteTestBucket(bucket);
    });

    it('passes the same browser suite as `npm start`', { timeout: 1_600_000 }, async () => {
      expect(hasE2eSpecs(), 'tests/e2e has no Playwright specs (and playwright.config.ts) yet').toBe(true);
      // Every browser test signs up a fresh account, all from 127.0.0.1.
      const c = await start({
        // Since workspaces the key names a prefix (its directory and workspaces sit beside it): each
        // test its own, so the durability test below sees only what it wrote.
        ...appS3Env(bucket, { key: 'parity-e2e/app.sqlite' }),
        CC_SIGNUP_LIMIT_PER_IP: '100000',
      });
      // Its own output folder: a concurrent `npm run test:e2e` empties test-results/ when it starts.
      // Every spec, on the desktop with and without JavaScript; the 360 px projects run the same
      // specs at another size against the same server code, which `npm run test:e2e` covers, and
      // would double the tier's time (~14 min on two cores).
      const res = spawnSync(
        'npx',
        [
          'playwright',
          'test',
          '--project',
          'chromium',
          '--project',
          'chromium-no-js',
          '--output',
          'artifacts/parity-e2e',
        ],
        {
          cwd: root,
          env: { ...process.env, CC_E2E_BASE_URL: c.url },
          encoding: 'utf8',
          timeout: 1_500_000,
        },
      );
      const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
      expect(res.status, `playwright against ${c.url} failed:\n${output.slice(-12_000)}`).toBe(0);
      expect(output).toMatch(/\d+ passed/);
    });

    it('keeps what one container wrote after `docker rm -f`: a fresh container restores it from S3', async () => {
      const env = appS3Env(bucket, { key: 'parity-durability/app.sqlite' });
      const email = `parity-${randomBytes(4).toString('hex')}@example.test`;
      const password = 'parity-password-1';
      const title = `Survives the container ${randomBytes(4).toString('hex')}`;

      const first = await start(env);
      const signup = await api(first.url, 'POST', '/api/signup', { email, password });
      expect(signup.status).toBe(201);
      const created = await api(first.url, 'POST', '/api/tasks', { title }, signup.cookie);
      expect(created.status).toBe(201);
      first.kill();

      const second = await start(env);
      const login = await api(second.url, 'POST', '/api/login', { email, password });
      expect(login.status).toBe(200);
      const list = await api(second.url, 'GET', '/api/tasks', undefined, login.cookie);
      expect(list.status).toBe(200);
      const titles = (list.body as { tasks: { title: string }[] }).tasks.map((t) => t.title);
      expect(titles).toContain(title);

      // The operator CLI ships in the image and reaches the same objects.
      const info = docker(['exec', second.name, 'node', 'scripts/db.ts', 'info', '--json']);
      expect(JSON.parse(info)).toMatchObject({ key: 'parity-durability/directory.sqlite' });
      const listed = JSON.parse(docker(['exec', second.name, 'node', 'scripts/db.ts', 'list', '--json']));
      expect(listed.map((o: { kind: string }) => o.kind)).toEqual(['directory', 'workspace']);
    });
  });
});

async function api(base: string, method: string, path: string, body?: unknown, cookie?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(cookie ? { cookie } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  const setCookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as unknown) : undefined,
    cookie: setCookie || cookie,
  };
}
