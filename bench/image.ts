/**
 * `npm run bench:image`: the Lambda image's size and how fast it is ready, against `node server.ts`
 * on the host in the same run.
 *
 * - Builds Dockerfile.lambda (timed, with the layer cache as found), on the local stand-in base images
 *   when they exist and NODE_IMAGE / LWA_IMAGE are unset (docker/build-local-base.sh).
 * - Size: the whole image, the base image, and the app's own layers (image minus base).
 * - Ready: from `docker run` to the first /healthz 200 with a database of BENCH_DB_MB (10) MB, restored
 *   from S3 when CC_TEST_S3_ENDPOINT is set (a fresh unversioned bucket), else from the embedded store
 *   (a directory mounted into the container); the same for `node server.ts` on the host, each run
 *   with an empty local copy so that every start restores. BENCH_RUNS (5) of each, median reported.
 * - Stop: `docker stop` (SIGTERM) to exit.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildImage, docker, imageExists, networkArgs, requireEngine } from '../docker/engine.ts';
import { LOCAL_LWA_IMAGE, LOCAL_NODE_IMAGE, loadDockerSettings } from '../docker/settings.ts';
import { freePort, waitReady } from '../tests/parity/container.ts';
import { appS3Env, createTestBucket, deleteTestBucket, s3Env } from '../tests/support/s3-env.ts';
import { ApiClient, startServer } from '../tests/support/server.ts';
import { ensureBuilt, printTable } from './lib.ts';

const root = new URL('../', import.meta.url).pathname;
const runs = Number(process.env.BENCH_RUNS ?? 5);
const dbMb = Number(process.env.BENCH_DB_MB ?? 10);
const IMAGE = 'code-canvas:bench';
const KEY = 'bench/app.sqlite';

requireEngine();
ensureBuilt();
const s = loadDockerSettings();
const local = !s.nodeImage && imageExists(LOCAL_NODE_IMAGE) && imageExists(LOCAL_LWA_IMAGE);
const nodeImage = s.nodeImage ?? (local ? LOCAL_NODE_IMAGE : 'node:24-bookworm-slim');
const settings = {
  ...s,
  image: IMAGE,
  nodeImage,
  lwaImage: s.lwaImage ?? (local ? LOCAL_LWA_IMAGE : undefined),
};

process.stdout.write(`building ${IMAGE} on ${nodeImage}… `);
const { ms: buildMs } = await buildImage(root, settings, 'capture');
process.stdout.write(`${(buildMs / 1000).toFixed(1)} s\n`);
const size = (tag: string) => Number(docker(['image', 'inspect', '-f', '{{.Size}}', tag]).trim()) / 1e6;
const imageMb = size(IMAGE);
const baseMb = size(nodeImage);

// ---- a database of dbMb MB, in S3 or in an embedded store directory ----------------------------
const work = mkdtempSync(join(tmpdir(), 'bench-image-'));
let bucket: string | undefined;
const storeDir = join(work, 'store');
try {
  const file = await seedDatabase(work, dbMb);
  const fileMb = statSync(file).size / 1e6;
  let storeEnv: Record<string, string>;
  if (s3Env) {
    bucket = await createTestBucket({ versioned: false, purpose: 'bench-image' });
    storeEnv = appS3Env(bucket, { key: KEY });
  } else {
    storeEnv = { CC_DB_KEY: KEY, CC_LOCAL_STORE_DIR: storeDir };
  }
  execFileSync(process.execPath, ['scripts/db.ts', 'push', '--file', file, '--yes'], {
    cwd: root,
    env: { ...process.env, ...storeEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const where = s3Env ? `S3 (${s3Env.endpoint})` : 'the embedded store';
  process.stdout.write(`database: ${fileMb.toFixed(1)} MB in ${where}; ${runs} cold starts each\n`);

  // ---- ready times -------------------------------------------------------------------------------
  const container: number[] = [];
  const host: number[] = [];
  const stops: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = await timeContainer(storeEnv);
    container.push(c.readyMs);
    stops.push(c.stopMs);
    host.push(await timeHost(storeEnv));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const range = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;

  printTable(
    ['image', 'size (MB)'],
    [
      [`${IMAGE} (whole)`, Math.round(imageMb)],
      [`base ${nodeImage}`, Math.round(baseMb)],
      ['app layers (adapter + traced app)', imageMb - baseMb],
    ],
  );
  printTable(
    [`ready with a ${fileMb.toFixed(0)} MB database`, 'median (ms)', 'range (ms)', 'ratio'],
    [
      [
        '`docker run` → /healthz 200',
        Math.round(med(container)),
        range(container),
        med(container) / med(host),
      ],
      ['`node server.ts` on the host', Math.round(med(host)), range(host), 1],
    ],
  );
  printTable(
    ['other', 'value'],
    [
      ['load average at the end (1 min) / cores', `${loadavg()[0]?.toFixed(1)} / ${cpus().length}`],
      ['`docker stop` (SIGTERM) → exited, median ms', Math.round(med(stops))],
      ['image build, s (with the layer cache as found)', buildMs / 1000],
    ],
  );
} finally {
  if (bucket) await deleteTestBucket(bucket);
  rmSync(work, { recursive: true, force: true });
}

/** Makes an app database (schema by the app itself) and pads it to `mb` MB with incompressible rows. */
async function seedDatabase(dir: string, mb: number): Promise<string> {
  const server = await startServer({ dataDir: join(dir, 'seed'), env: { CC_LOG_LEVEL: 'warn' } });
  const api = new ApiClient(server.url);
  await api.request('POST', '/api/signup', { email: 'bench@example.com', password: 'bench password' });
  for (let i = 0; i < 20; i++) await api.request('POST', '/api/tasks', { title: `Bench task ${i}` });
  await server.stop();
  const file = join(dir, 'seed', 'app.sqlite');
  const db = new Database(file);
  db.exec('create table if not exists bench_padding (id integer primary key, data blob not null)');
  const insert = db.prepare('insert into bench_padding (data) values (?)');
  db.transaction(() => {
    for (let i = 0; i < mb * 16; i++) insert.run(randomBytes(64 * 1024 - 256));
  })();
  db.pragma('journal_mode = DELETE');
  db.close();
  return file;
}

/** One cold start of the image: `docker run` to /healthz 200, then `docker stop`. */
async function timeContainer(storeEnv: Record<string, string>): Promise<{ readyMs: number; stopMs: number }> {
  const port = await freePort();
  const name = `cc-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const env: Record<string, string> = { ...storeEnv, CC_LOG_LEVEL: 'warn' };
  const mount: string[] = [];
  if (!s3Env) {
    // The container runs as uid 1000: let it read (and lock) the store directory. Mounted outside
    // /tmp/code-canvas, which the engine would otherwise create root-owned as the mount's parent.
    chmodTree(storeDir);
    mount.push('-v', `${storeDir}:/bench-store`);
    env.CC_LOCAL_STORE_DIR = '/bench-store';
  }
  const args = ['run', '-d', '--name', name, ...networkArgs('host', port).args, ...mount];
  args.push(...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), IMAGE);
  const t0 = performance.now();
  const run = spawn('docker', args, { stdio: 'ignore' });
  try {
    await waitReady(`http://127.0.0.1:${port}`, 60_000);
    const readyMs = performance.now() - t0;
    await new Promise((r) => (run.exitCode === null ? run.once('exit', r) : r(null)));
    const t1 = performance.now();
    docker(['stop', '--time', '10', name]);
    return { readyMs, stopMs: performance.now() - t1 };
  } finally {
    docker(['rm', '-f', name], { allowFail: true });
  }
}

/** One cold start of `node server.ts` on the host with an empty local copy: spawn to /healthz 200. */
async function timeHost(storeEnv: Record<string, string>): Promise<number> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'bench-host-'));
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      HOST: '127.0.0.1',
      CC_WORK_DIR: join(data, 'work'),
      CC_LOG_LEVEL: 'warn',
      ...storeEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`node server.ts exited (${code}) before it was ready:\n${stderr}`)),
    ),
  );
  exited.catch(() => {});
  try {
    await Promise.race([waitReady(`http://127.0.0.1:${port}`, 60_000), exited]);
    return performance.now() - t0;
  } finally {
    if (child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(data, { recursive: true, force: true });
  }
}

function chmodTree(dir: string): void {
  chmodSync(dir, 0o777);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) chmodTree(p);
    else chmodSync(p, 0o666);
  }
}
