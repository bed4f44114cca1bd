/**
 * Proves that a runtime tree assembled by docker/trace-runtime.ts really runs, in the build stage of
 * Dockerfile.lambda (nothing of this lands in the runtime image):
 *
 *   node docker/verify-runtime.ts DIR
 *
 * 1. better-sqlite3 loads from DIR/node_modules, opens a database, and the native addon it loaded is
 *    an ELF binary for this process's architecture (and for TARGETARCH, when the builder sets it).
 * 2. When DIR/server.ts exists: `node server.ts` starts there on the embedded store, /healthz answers
 *    200, /version and / answer below 500, and SIGTERM ends it with exit code 0 well before a 10 s
 *    kill (within 5 s: generous, as an image build may share a loaded machine).
 * Exit 1 with one line saying what failed (and the server's last output) otherwise.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };
const DOCKER_ARCH: Record<string, string> = { amd64: 'x64', arm64: 'arm64' };
const STOP_LIMIT_MS = 5000;

/** Runs in DIR so that `require` resolves from DIR/node_modules only, as it will in the image. */
const ADDON_PROBE = `
const fs = require('node:fs');
const Database = require('better-sqlite3');
const db = new Database(':memory:');
const sqlite = db.prepare('select sqlite_version() as v').get().v;
db.close();
const addon = Object.keys(require.cache).find((f) => f.endsWith('.node'));
const elf = fs.readFileSync(addon);
console.log(JSON.stringify({ arch: process.arch, addon, machine: elf.readUInt16LE(18), magic: elf.subarray(0, 4).toString('latin1'), sqlite }));
`;

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir || !existsSync(join(dir, 'package.json')))
    fail('usage: node docker/verify-runtime.ts DIR (a tree with package.json)');
  checkAddon(dir);
  if (existsSync(join(dir, 'server.ts'))) await checkServer(dir);
  else console.log('verify-runtime: no server.ts in this tree yet; server check skipped');
}

function checkAddon(dir: string): void {
  let probe: { arch: string; addon: string; machine: number; magic: string; sqlite: string };
  try {
    probe = JSON.parse(execFileSync(process.execPath, ['-e', ADDON_PROBE], { cwd: dir, encoding: 'utf8' }));
  } catch (e) {
    fail(`better-sqlite3 does not load from ${dir}/node_modules: ${(e as Error).message.split('\n')[0]}`);
  }
  const want = ELF_MACHINE[probe.arch];
  if (probe.magic !== '\x7fELF' || want === undefined || probe.machine !== want) {
    fail(
      `better-sqlite3 loaded ${probe.addon}, ELF machine ${probe.machine}, which is not a ${probe.arch} binary`,
    );
  }
  const target = process.env.TARGETARCH ? DOCKER_ARCH[process.env.TARGETARCH] : undefined;
  if (process.env.TARGETARCH && target !== probe.arch) {
    fail(
      `the image targets ${process.env.TARGETARCH} but this stage runs ${probe.arch}: build with --platform linux/${process.env.TARGETARCH}`,
    );
  }
  console.log(
    `verify-runtime: better-sqlite3 OK: SQLite ${probe.sqlite}, ${probe.addon.replace(/^.*node_modules\//, '')} is ${probe.arch}`,
  );
}

async function checkServer(dir: string): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'verify-runtime-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['server.ts'], {
    cwd: dir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      CC_S3_BUCKET: '',
      CC_WORK_DIR: join(data, 'work'),
      CC_LOCAL_STORE_DIR: join(data, 'store'),
      CC_RUNTIME: 'container',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(Date.now())));
  const failWithLog = (message: string): never => {
    child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
    fail(
      `${message}\n--- server output (last 20 lines) ---\n${output.trim().split('\n').slice(-20).join('\n')}`,
    );
  };
  try {
    const t0 = Date.now();
    let ready = false;
    while (!ready && Date.now() - t0 < 30_000 && child.exitCode === null) {
      ready = (await get(`${base}/healthz`))?.status === 200;
      if (!ready) await sleep(50);
    }
    if (!ready) failWithLog(`server.ts did not answer /healthz with 200 within 30 s`);
    const readyMs = Date.now() - t0;
    for (const path of ['/version', '/']) {
      const res = await get(`${base}${path}`);
      if (!res || res.status >= 500) failWithLog(`GET ${path} answered ${res?.status ?? 'nothing'}`);
    }
    const stopAt = Date.now();
    child.kill('SIGTERM');
    const stopMs =
      (await Promise.race([exited, sleep(STOP_LIMIT_MS + 1000).then(() => Number.POSITIVE_INFINITY)])) -
      stopAt;
    if (stopMs > STOP_LIMIT_MS) failWithLog(`SIGTERM did not end server.ts within ${STOP_LIMIT_MS} ms`);
    if (child.exitCode !== 0)
      failWithLog(`server.ts exited with ${child.exitCode ?? child.signalCode} on SIGTERM, not 0`);
    console.log(
      `verify-runtime: server OK: ready in ${readyMs} ms, /version and / answer, SIGTERM ended it in ${stopMs} ms`,
    );
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

async function get(url: string): Promise<{ status: number } | undefined> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return { status: res.status };
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function fail(message: string): never {
  console.error(`verify-runtime: ${message}`);
  process.exit(1);
}

await main();
