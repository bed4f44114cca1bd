/**
 * `npm run bench:fleet`: write throughput of a fleet modelled on Lambda, where every instance serves
 * one request at a time and S3 is a network round trip away.
 *
 * - N server processes (BENCH_FLEET_SIZES, default 1,2,4,8) share one bucket. A router in this script
 *   plays Lambda's front end: each request goes to an idle instance, or waits for one (an instance
 *   never has two requests at once).
 * - S3 is reached through a proxy that adds BENCH_S3_LATENCY_MS (default 15) to every request each
 *   way, as a region's S3 is from a function, instead of loopback's ~0.1 ms.
 * - W writers (BENCH_FLEET_WRITERS, default 16) create tasks back to back for BENCH_FLEET_SECONDS
 *   (default 8) per run, twice: all in one shared workspace (the single-object layout's behaviour),
 *   then each in a workspace of its own.
 * Each run prints acknowledged writes/s, p50/p99 acknowledgement time (as the writer sees it, waiting
 * for an instance included), write conflicts, 503s and lost writes (acknowledged but not in the
 * workspace's object, checked by opening each object with SQLite afterwards), and the S3 requests a
 * write and a page view cost. Target: own workspaces at N = 8 reach ≥ 6× the writes/s of N = 1 with
 * no 503 and nothing lost; one shared workspace loses nothing.
 *
 * S3: CC_TEST_S3_ENDPOINT and its credentials, as for the tests (the bench makes and deletes a bucket).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyCounts } from '../tests/support/fault-proxy.ts';
import { ApiClient, type ServerProcess, startServer } from '../tests/support/server.ts';
import { ensureBuilt, printTable } from './lib.ts';
import {
  createBucket,
  deleteBucket,
  getBytes,
  inDatabase,
  numbers,
  pct,
  progress,
  rawClient,
  readS3Target,
  serverEnv,
  setting,
} from './persistence-lib.ts';

const sizes = numbers(setting('sizes', 'BENCH_FLEET_SIZES', '1,2,4,8'));
const writers = Number(setting('writers', 'BENCH_FLEET_WRITERS', '16'));
const seconds = Number(setting('seconds', 'BENCH_FLEET_SECONDS', '8'));
const latencyMs = Number(setting('latency', 'BENCH_S3_LATENCY_MS', '15'));

/** S3 list prices (us-east-1) per request: PUT and GET (conditional GETs and HEADs are GETs). */
const PRICE = { put: 0.005 / 1000, get: 0.0004 / 1000 };

type Layout = 'one shared workspace' | 'a workspace per writer';

interface Run {
  layout: Layout;
  instances: number;
  acked: number;
  perSecond: number;
  p50: number;
  p99: number;
  conflicts: number;
  busy: number;
  otherFailures: number;
  lost: number;
  getsPerWrite: number;
  putsPerWrite: number;
}

/** Lambda's front end in miniature: one request per instance at a time, the rest wait in order. */
class Router {
  readonly #idle: ApiClient[];
  readonly #waiting: ((c: ApiClient) => void)[] = [];
  constructor(clients: ApiClient[]) {
    this.#idle = [...clients];
  }
  async send<T>(fn: (c: ApiClient) => Promise<T>): Promise<T> {
    const client = this.#idle.pop() ?? (await new Promise<ApiClient>((r) => this.#waiting.push(r)));
    try {
      return await fn(client);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(client);
      else this.#idle.push(client);
    }
  }
}

const target = readS3Target();
ensureBuilt();
const s3 = rawClient(target);
const bucket = await createBucket(s3, target);
const proxy = await startProxy(target.endpoint, latencyMs);
const work = mkdtempSync(join(tmpdir(), 'cc-bench-fleet-'));
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
progress(
  `S3 ${target.endpoint} through a proxy adding ${latencyMs} ms each way; ${writers} writers, ${seconds} s per run; node ${process.version}`,
);

const runs: Run[] = [];
let pageView = { gets: Number.NaN, puts: Number.NaN };
try {
  for (const layout of ['one shared workspace', 'a workspace per writer'] as Layout[]) {
    for (const n of sizes) {
      runs.push(await measure(layout, n));
      const r = runs.at(-1) as Run;
      progress(
        `${layout}, ${n} instance(s): ${r.perSecond.toFixed(1)} writes/s, p50 ${r.p50.toFixed(0)} ms, ${r.conflicts} conflicts, ${r.busy} × 503, ${r.lost} lost (load ${load()})`,
      );
    }
  }
} finally {
  await proxy.close();
  await deleteBucket(s3, bucket).catch(() => {});
  s3.destroy();
  rmSync(work, { recursive: true, force: true });
}

for (const layout of ['one shared workspace', 'a workspace per writer'] as Layout[]) {
  const rows = runs.filter((r) => r.layout === layout);
  const base = rows[0]?.perSecond ?? Number.NaN;
  process.stdout.write(`\n${layout}:`);
  printTable(
    ['instances', 'acked writes/s', '× 1 instance', 'p50 ms', 'p99 ms', 'conflicts', '503 busy', 'lost'],
    rows.map((r) => [
      r.instances,
      r.perSecond,
      r.perSecond / base,
      r.p50,
      r.p99,
      r.conflicts,
      r.busy,
      r.lost,
    ]),
  );
}
const own = runs.filter((r) => r.layout === 'a workspace per writer');
const first = own[0];
const last = own.at(-1);
const writeCost = own.reduce((s, r) => s + r.getsPerWrite, 0) / own.length;
const putCost = own.reduce((s, r) => s + r.putsPerWrite, 0) / own.length;
process.stdout.write(
  `\nS3 requests: a write ${writeCost.toFixed(2)} GET + ${putCost.toFixed(2)} PUT (≈ $${(
    (writeCost * PRICE.get + putCost * PRICE.put) * 1e6
  ).toFixed(
    2,
  )} per million writes); a page view ${pageView.gets.toFixed(2)} GET + ${pageView.puts.toFixed(2)} PUT (≈ $${(
    (pageView.gets * PRICE.get + pageView.puts * PRICE.put) * 1e6
  ).toFixed(2)} per million) at list prices (PUT $0.005, GET $0.0004 per 1,000).\n`,
);
const lost = runs.reduce((s, r) => s + r.lost, 0);
const ratio = first && last ? last.perSecond / first.perSecond : Number.NaN;
const busy = own.reduce((s, r) => s + r.busy, 0);
process.stdout.write(
  `target: a workspace per writer at ${last?.instances} instances ≥ 6× 1 instance: ${ratio.toFixed(2)}× ${
    ratio >= 6 ? 'met' : 'NOT met'
  }; 503s with a workspace per writer: ${busy}; lost writes anywhere: ${lost}. Load average now: ${load()}\n`,
);
process.exit(lost > 0 ? 1 : 0);

async function measure(layout: Layout, instances: number): Promise<Run> {
  const key = `fleet-${layout === 'one shared workspace' ? 'one' : 'own'}-${instances}/app.sqlite`;
  const env = { ...serverEnv(target, bucket, key, proxy.url), CC_LOG_LEVEL: 'info' };
  const servers: ServerProcess[] = [await startServer({ env })];
  try {
    servers.push(...(await Promise.all(Array.from({ length: instances - 1 }, () => startServer({ env })))));
    const owner = new ApiClient((servers[0] as ServerProcess).url);
    await owner.signUp();
    const workspaces: string[] = [];
    const count = layout === 'one shared workspace' ? 1 : writers;
    for (let i = 0; i < count; i++) {
      workspaces.push((await owner.post('/api/workspaces', { name: `fleet ${i}` })).body.workspace.id);
    }
    const router = new Router(
      servers.map((s) => {
        const c = new ApiClient(s.url);
        c.cookie = owner.cookie;
        return c;
      }),
    );
    const post = (w: number, title: string) =>
      router.send((c) => c.post(`/api/workspaces/${workspaces[w % workspaces.length]}/tasks`, { title }));
    // Warm-up, not measured: every instance opens the workspaces it will be asked for.
    await Promise.all(
      Array.from({ length: writers }, (_, w) => post(w, `warm-up ${w}`).then(() => post(w, `warm-up ${w}b`))),
    );
    if (layout === 'a workspace per writer' && instances === sizes[0]) {
      pageView = await measurePageViews(router, workspaces[0] as string);
    }

    const acked: { w: number; title: string }[] = [];
    const latencies: number[] = [];
    let busy = 0;
    let otherFailures = 0;
    const conflictsBefore = countConflicts(servers);
    await proxy.takeCounts();
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) {
          const title = `writer ${w} task ${i}`;
          const started = performance.now();
          const res = await post(w, title);
          if (res.status === 201) {
            latencies.push(performance.now() - started);
            acked.push({ w: w % workspaces.length, title });
          } else if (res.status === 503) busy++;
          else otherFailures++;
        }
      }),
    );
    const ms = performance.now() - t0;
    const counts: ProxyCounts = await proxy.takeCounts();
    let lost = 0;
    for (const [w, id] of workspaces.entries()) {
      const stored = inDatabase(
        await getBytes(s3, bucket, `${key.split('/')[0]}/workspaces/${id}.sqlite`),
        (db) =>
          new Set((db.prepare('SELECT title FROM tasks').all() as { title: string }[]).map((r) => r.title)),
      );
      lost += acked.filter((a) => a.w === w && !stored.has(a.title)).length;
    }
    return {
      layout,
      instances,
      acked: acked.length,
      perSecond: acked.length / (ms / 1000),
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      conflicts: countConflicts(servers) - conflictsBefore,
      busy,
      otherFailures,
      lost,
      getsPerWrite: (counts.requests.GET ?? 0) / Math.max(1, acked.length),
      putsPerWrite: (counts.requests.PUT ?? 0) / Math.max(1, acked.length),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** S3 requests of a board page view (the board of a workspace, revalidated, nothing changed). */
async function measurePageViews(router: Router, workspace: string): Promise<{ gets: number; puts: number }> {
  const views = 20;
  await proxy.takeCounts();
  for (let i = 0; i < views; i++) {
    await router.send((c) =>
      fetch(`${c.base}/w/${workspace}/`, { headers: { cookie: c.cookie } }).then((r) => r.text()),
    );
  }
  const counts = await proxy.takeCounts();
  return { gets: (counts.requests.GET ?? 0) / views, puts: (counts.requests.PUT ?? 0) / views };
}

/** The latency proxy (bench/latency-proxy.ts) in a child process of its own. */
async function startProxy(
  upstream: string,
  latency: number,
): Promise<{ url: string; takeCounts(): Promise<ProxyCounts>; close(): Promise<void> }> {
  const child: ChildProcess = fork(
    new URL('./latency-proxy.ts', import.meta.url),
    [upstream, String(latency)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url?: string }) =>
      m.url ? resolve(m.url) : reject(new Error('no proxy url')),
    );
    child.once('exit', (code) => reject(new Error(`the latency proxy exited (${code})`)));
  });
  return {
    url,
    takeCounts: () =>
      new Promise((resolve) => {
        child.once('message', (m: { counts: ProxyCounts }) => resolve(m.counts));
        child.send({ cmd: 'counts' });
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

function countConflicts(servers: ServerProcess[]): number {
  return servers.reduce(
    (n, s) =>
      n +
      s.logs().filter((l) => l.msg === 'write conflict: another instance wrote first; applying again').length,
    0,
  );
}
