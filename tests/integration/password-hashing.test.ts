import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

// Issue 11, item 4: password hashes are the one thing an anonymous client can make the server spend
// CPU on. A flood of logins must not take the app away from the people already using it.

let server: ServerProcess;
beforeAll(async () => {
  // Trusting one proxy hop lets the flood spoof a fresh address per attempt, as the attacker
  // did: the per-IP login limit never engages, so only the cap on hashes stands in the way.
  server = await startServer({
    env: { CC_TRUST_PROXY: '1', CC_SIGNUP_LIMIT_PER_IP: '3', CC_LOG_LEVEL: 'warn' },
  });
});
afterAll(() => server?.stop());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
let ip = 0;
const freshIp = () => ({ 'x-forwarded-for': `10.${(++ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}` });

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

describe('a flood of logins', () => {
  it('is refused with 503 and Retry-After past the hash cap, while a signed-in user keeps working', async () => {
    const user = new ApiClient(server.url);
    await user.signUp(uniqueEmail('steady'), 'steady password');
    for (let i = 0; i < 5; i++) await user.get('/api/tasks'); // warm up
    const baseline: number[] = [];
    for (let i = 0; i < 15; i++) baseline.push((await timed(() => user.get('/api/tasks'))).ms);

    let flooding = true;
    const flood: { status: number; retryAfter: string | null }[] = [];
    const attacker = async () => {
      while (flooding) {
        const res = await new ApiClient(server.url).post(
          '/api/login',
          { email: uniqueEmail('flood'), password: 'guess guess' },
          freshIp(),
        );
        flood.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      }
    };
    const attackers = Array.from({ length: 32 }, attacker);
    await new Promise((r) => setTimeout(r, 1500)); // let the queue fill

    const reads: { ms: number; status: number }[] = [];
    const writes: { ms: number; status: number }[] = [];
    for (let i = 0; i < 15; i++) {
      const r = await timed(() => user.get('/api/tasks'));
      reads.push({ ms: r.ms, status: r.value.status });
      if (i % 3 === 0) {
        const w = await timed(() => user.post('/api/tasks', { title: `during the flood ${i}` }));
        writes.push({ ms: w.ms, status: w.value.status });
      }
    }
    flooding = false;
    await Promise.all(attackers);

    const refused = flood.filter((f) => f.status === 503);
    const summary =
      `baseline read p50 ${median(baseline).toFixed(0)} ms; under the flood read p50 ` +
      `${median(reads.map((r) => r.ms)).toFixed(0)} ms, write p50 ${median(writes.map((w) => w.ms)).toFixed(0)} ms; ` +
      `flood: ${flood.length} attempts, ${refused.length} refused`;
    expect(
      reads.map((r) => r.status),
      summary,
    ).toEqual(Array(reads.length).fill(200));
    expect(
      writes.map((w) => w.status),
      summary,
    ).toEqual(Array(writes.length).fill(201));
    expect(refused.length, summary).toBeGreaterThan(0);
    for (const r of refused) expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(
      flood.every((f) => f.status === 401 || f.status === 503),
      summary,
    ).toBe(true);
    // Generous: reads normally take a few ms; without the cap they took seconds.
    expect(median(reads.map((r) => r.ms)), summary).toBeLessThan(Math.max(10 * median(baseline), 500));
  });
});

describe('signing up', () => {
  it('is limited per client with 429 and Retry-After, and a refused signup creates nothing', async () => {
    const client = freshIp();
    for (let i = 0; i < 3; i++) {
      const res = await new ApiClient(server.url).post(
        '/api/signup',
        { email: uniqueEmail('many'), password: 'long enough' },
        client,
      );
      expect(res.status).toBe(201);
    }
    const email = uniqueEmail('one-too-many');
    const refused = await new ApiClient(server.url).post(
      '/api/signup',
      { email, password: 'long enough' },
      client,
    );
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const login = await new ApiClient(server.url).post(
      '/api/login',
      { email, password: 'long enough' },
      freshIp(),
    );
    expect(login.status).toBe(401);

    const other = await new ApiClient(server.url).post(
      '/api/signup',
      { email, password: 'long enough' },
      freshIp(),
    );
    expect(other.status).toBe(201);
  });

  it('does not count a signup refused for bad input', async () => {
    const client = freshIp();
    for (let i = 0; i < 5; i++) {
      const res = await new ApiClient(server.url).post(
        '/api/signup',
        { email: 'not an email', password: 'long enough' },
        client,
      );
      expect(res.status).toBe(400);
    }
    const res = await new ApiClient(server.url).post(
      '/api/signup',
      { email: uniqueEmail('ok'), password: 'long enough' },
      client,
    );
    expect(res.status).toBe(201);
  });
});
