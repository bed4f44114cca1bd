/**
 * `npm run bench:shutdown`: how long `node server.ts` takes to exit after SIGTERM (Lambda gives an
 * extension-less function about 300 ms, `docker stop` 10 s), against a bare Node process that exits
 * on SIGTERM at once, measured the same way in the same run, so the ratio is the server's own part.
 *
 * Settings (env): BENCH_RUNS stops of each kind (10). The tests only bound this generously
 * (tests/integration/operations.test.ts); the figure comes from here.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { startServer } from '../tests/support/server.ts';
import { ensureBuilt, printTable } from './lib.ts';

const runs = Number(process.env.BENCH_RUNS ?? 10);

/** Spawn-to-ready and SIGTERM-to-exit of a process that only waits for SIGTERM. */
async function bareNodeStop(): Promise<number> {
  const child = spawn(
    process.execPath,
    ['-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000); console.log('ready')"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const t0 = performance.now();
  child.kill('SIGTERM');
  await exited;
  return performance.now() - t0;
}

async function serverStop(withIdleConnection: boolean): Promise<number> {
  const s = await startServer({ env: { CC_LOG_LEVEL: 'warn' } });
  if (withIdleConnection) await (await fetch(`${s.url}/healthz`)).arrayBuffer();
  const { ms, code } = await s.stop('SIGTERM');
  if (code !== 0) throw new Error(`server exited with ${code} on SIGTERM`);
  return ms;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

ensureBuilt();
const kinds: [string, () => Promise<number>][] = [
  ['bare node (baseline)', bareNodeStop],
  ['server, idle', () => serverStop(false)],
  ['server, an idle keep-alive connection open', () => serverStop(true)],
];
const results = new Map<string, number[]>(kinds.map(([k]) => [k, []]));
// Interleaved, so a burst of load elsewhere on the machine hits every kind alike.
for (let i = 0; i < runs; i++) {
  for (const [name, run] of kinds) results.get(name)?.push(await run());
}
const base = results.get('bare node (baseline)') ?? [];
printTable(
  ['SIGTERM → exit', 'runs', 'p50 ms', 'max ms', 'p50 ÷ baseline'],
  kinds.map(([name]) => {
    const xs = results.get(name) ?? [];
    return [name, xs.length, pct(xs, 0.5), Math.max(...xs), pct(xs, 0.5) / pct(base, 0.5)];
  }),
);
process.stdout.write(
  `\nload average while measuring: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
