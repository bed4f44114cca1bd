/**
 * `npm run bench:login-flood`: what a flood of failed logins does to a signed-in user's reads and
 * writes. The same user, on the same kind of server, first with no flood (the baseline), then under
 * BENCH_FLOOD concurrent logins with fresh emails and fresh spoofed addresses (so no login limit
 * applies), once with the password-hash cap as configured by default and once with it lifted
 * (CC_PASSWORD_HASH_CONCURRENCY=64, how the app behaved before the cap). Ratios are against the
 * baseline measured in the same run.
 *
 * Settings (env): BENCH_FLOOD concurrent attackers (32), BENCH_SAMPLES reads per phase (40; one
 * write every fourth read).
 */
import { loadavg } from 'node:os';
import { ApiClient, startServer, uniqueEmail } from '../tests/support/server.ts';
import { ensureBuilt, printTable } from './lib.ts';

const floodSize = Number(process.env.BENCH_FLOOD ?? 32);
const samples = Number(process.env.BENCH_SAMPLES ?? 40);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

interface Phase {
  reads: number[];
  writes: number[];
  attempts: number;
  refused: number;
}

async function measure(env: Record<string, string>, flood: boolean): Promise<Phase> {
  const server = await startServer({ env: { CC_TRUST_PROXY: '1', CC_LOG_LEVEL: 'error', ...env } });
  try {
    const user = new ApiClient(server.url);
    await user.signUp(uniqueEmail('bench'), 'bench password');
    for (let i = 0; i < 5; i++) await user.get('/api/tasks');
    let running = flood;
    let ip = 0;
    const phase: Phase = { reads: [], writes: [], attempts: 0, refused: 0 };
    const attacker = async () => {
      while (running) {
        ip++;
        const res = await new ApiClient(server.url).post(
          '/api/login',
          { email: uniqueEmail('flood'), password: 'guess guess' },
          { 'x-forwarded-for': `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}` },
        );
        phase.attempts++;
        if (res.status === 503) phase.refused++;
      }
    };
    const attackers = flood ? Array.from({ length: floodSize }, attacker) : [];
    if (flood) await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < samples; i++) {
      let t0 = performance.now();
      const read = await user.get('/api/tasks');
      phase.reads.push(performance.now() - t0);
      if (read.status !== 200) throw new Error(`a read answered ${read.status}`);
      if (i % 4 === 0) {
        t0 = performance.now();
        const write = await user.post('/api/tasks', { title: `bench ${i}` });
        phase.writes.push(performance.now() - t0);
        if (write.status !== 201) throw new Error(`a write answered ${write.status}`);
      }
    }
    running = false;
    await Promise.all(attackers);
    return phase;
  } finally {
    await server.stop();
  }
}

ensureBuilt();
const baseline = await measure({}, false);
const capped = await measure({}, true);
const uncapped = await measure({ CC_PASSWORD_HASH_CONCURRENCY: '64' }, true);
const row = (name: string, p: Phase) => [
  name,
  pct(p.reads, 0.5),
  pct(p.reads, 0.99),
  pct(p.reads, 0.5) / pct(baseline.reads, 0.5),
  pct(p.writes, 0.5),
  pct(p.writes, 0.5) / pct(baseline.writes, 0.5),
  p === baseline ? '—' : `${p.attempts} / ${p.refused}`,
];
printTable(
  [
    'signed-in user',
    'read p50 ms',
    'read p99 ms',
    'read p50 ÷ baseline',
    'write p50 ms',
    'write p50 ÷ baseline',
    'flood logins / refused 503',
  ],
  [
    row('no flood (baseline)', baseline),
    row(`${floodSize} flooding, hash cap on (default)`, capped),
    row(`${floodSize} flooding, cap lifted`, uncapped),
  ],
);
process.stdout.write(
  `\nload average while measuring: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
