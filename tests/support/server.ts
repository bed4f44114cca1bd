import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The session signing key test servers share (tests only). */
export const TEST_SESSION_SECRET = 'test-only-session-secret-0123456789abcdef';

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  /** Every line the process wrote (stdout and stderr), in order. */
  lines: string[];
  /** Parsed JSON log lines. */
  logs(): Record<string, unknown>[];
  /** SIGTERM (default) and wait for the exit; resolves with the exit code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  dataDir: string;
}

export interface StartOptions {
  /** Settings for the process (merged over a minimal environment). */
  env?: Record<string, string>;
  /** Wait for /healthz 200 (default true). */
  waitReady?: boolean;
  /** Use this data directory (default: a fresh temporary one, removed on stop). */
  dataDir?: string;
}

/**
 * Starts `node server.ts` (the built app) on a free loopback port with its data in a temporary
 * directory, and waits for it to be ready. The embedded local store is used unless `env` sets S3.
 */
export async function startServer(opts: StartOptions = {}): Promise<ServerProcess> {
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cc-server-'));
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    HOST: '127.0.0.1',
    CC_WORK_DIR: join(dataDir, 'work'),
    CC_LOCAL_STORE_DIR: join(dataDir, 'store'),
    CC_LOG_LEVEL: 'info',
    // One signing key for every test process, as a fleet shares one (SSM or CC_SESSION_SECRET).
    CC_SESSION_SECRET: TEST_SESSION_SECRET,
    // Every test signs up from 127.0.0.1; the signup limit has its own tests, which set it lower.
    CC_SIGNUP_LIMIT_PER_IP: '100000',
    ...opts.env,
  };
  const proc = spawn(process.execPath, ['server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );

  const server: ServerProcess = {
    url: '',
    proc,
    lines,
    dataDir,
    logs: () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async stop(signal = 'SIGTERM') {
      const t0 = performance.now();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const result = await exited;
      // Timed before the data directory is removed: `ms` is the process's own shutdown.
      const ms = performance.now() - t0;
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      return { ...result, ms };
    },
  };

  const early = exited.then(({ code, signal }) => {
    throw new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${lines.join('\n')}`);
  });
  server.url = `http://127.0.0.1:${port}`;
  await Promise.race([waitForListening(port), early, timeout(20_000, 'listening', lines)]);
  if (opts.waitReady !== false)
    await Promise.race([waitForReady(server.url), early, timeout(30_000, 'ready', lines)]);
  early.catch(() => {});
  return server;
}

/** A port nothing listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForListening(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitForReady(url: string): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function timeout(ms: number, what: string, lines: string[]): Promise<never> {
  return new Promise((_, reject) => {
    const t = setTimeout(
      () => reject(new Error(`server not ${what} within ${ms} ms:\n${lines.join('\n')}`)),
      ms,
    );
    t.unref();
  });
}

/** A tiny cookie-keeping JSON client for the API. */
export class ApiClient {
  readonly base: string;
  /** The session cookie (`cc_session=…`), or ''. */
  cookie = '';
  /** The known-device cookie a successful login leaves (`cc_device=…`), or ''. */
  device = '';
  constructor(base: string) {
    this.base = base;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const init: RequestInit = { method, headers: { ...headers }, redirect: 'manual' };
    const h = init.headers as Record<string, string>;
    const cookies = [this.cookie, this.device].filter(Boolean).join('; ');
    if (cookies) h.cookie = cookies;
    // Every API request says it is JSON, DELETE included (see docs/api.md).
    h['content-type'] ??= 'application/json';
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${this.base}${path}`, init);
    for (const setCookie of res.headers.getSetCookie()) {
      const pair = setCookie.split(';')[0] ?? '';
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(setCookie);
      const value = expired || pair.endsWith('=') ? '' : pair;
      if (pair.startsWith('cc_session=')) this.cookie = value;
      else if (pair.startsWith('cc_device=')) this.device = value;
    }
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get(path: string) {
    return this.request('GET', path);
  }
  post(path: string, body: unknown = {}, headers?: Record<string, string>) {
    return this.request('POST', path, body, headers);
  }
  patch(path: string, body: unknown) {
    return this.request('PATCH', path, body);
  }
  delete(path: string) {
    return this.request('DELETE', path);
  }

  /** Signs up a fresh account and keeps its cookie. */
  async signUp(
    email = uniqueEmail(),
    password = 'correct horse',
  ): Promise<{ id: number; email: string; personalWorkspaceId: string }> {
    const res = await this.post('/api/signup', { email, password });
    if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.user;
  }
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`;
}
