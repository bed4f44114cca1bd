import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ServerProcess, startServer, uniqueEmail } from '../support/server.ts';

// Issue 11, item 3: login limits that a spoofed header, a burst of concurrent guesses or an
// attacker locking the owner out cannot get around.

const LIMITS = { CC_LOGIN_LIMIT_PER_IP: '8', CC_LOGIN_LIMIT_PER_ACCOUNT: '3' };
const direct: { s?: ServerProcess } = {};
const behindProxy: { s?: ServerProcess } = {};
const behindFunctionUrl: { s?: ServerProcess } = {};

beforeAll(async () => {
  [direct.s, behindProxy.s, behindFunctionUrl.s] = await Promise.all([
    startServer({ env: { ...LIMITS } }),
    startServer({ env: { ...LIMITS, CC_TRUST_PROXY: '1' } }),
    startServer({ env: { ...LIMITS, CC_TRUST_PROXY: 'lambda-url' } }),
  ]);
});
afterAll(() => Promise.all([direct.s?.stop(), behindProxy.s?.stop(), behindFunctionUrl.s?.stop()]));

const url = (box: { s?: ServerProcess }) => box.s?.url ?? '';
const wrong = () => ({ email: uniqueEmail('nobody'), password: 'guess guess' });
let n = 0;
const spoofed = () => `203.0.113.${++n % 250}`;
const functionUrlContext = (sourceIp: string) =>
  JSON.stringify({
    http: { method: 'POST', path: '/api/login', sourceIp },
    requestId: 'r',
    stage: '$default',
  });

async function statuses(
  base: string,
  count: number,
  headers: () => Record<string, string>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++)
    out.push((await new ApiClient(base).post('/api/login', wrong(), headers())).status);
  return out;
}

describe('the client address a limit counts', () => {
  it('ignores X-Forwarded-For when no proxy is trusted (npm start faces clients directly)', async () => {
    const codes = await statuses(url(direct), 9, () => ({ 'x-forwarded-for': spoofed() }));
    expect(codes).toEqual([...Array(8).fill(401), 429]);
  });

  it('takes the address the trusted proxy appended, not what the client wrote before it', async () => {
    const codes = await statuses(url(behindProxy), 9, () => ({
      'x-forwarded-for': `${spoofed()}, 198.51.100.9`,
    }));
    expect(codes).toEqual([...Array(8).fill(401), 429]);
    const other = await new ApiClient(url(behindProxy)).post('/api/login', wrong(), {
      'x-forwarded-for': '198.51.100.9, 198.51.100.10',
    });
    expect(other.status).toBe(401);
  });

  it("takes the Function URL's source IP from the adapter's request context, never X-Forwarded-For", async () => {
    const codes = await statuses(url(behindFunctionUrl), 9, () => ({
      'x-forwarded-for': spoofed(),
      'x-amzn-request-context': functionUrlContext('198.51.100.20'),
    }));
    expect(codes).toEqual([...Array(8).fill(401), 429]);
    const other = await new ApiClient(url(behindFunctionUrl)).post('/api/login', wrong(), {
      'x-forwarded-for': '198.51.100.20',
      'x-amzn-request-context': functionUrlContext('198.51.100.21'),
    });
    expect(other.status).toBe(401);
  });
});

describe('counting an attempt', () => {
  it('counts each guess before the hash, so a concurrent burst gets no more than the limit', async () => {
    const email = uniqueEmail('burst');
    await new ApiClient(url(behindProxy)).signUp(email, 'the password');
    const attempt = (password: string) =>
      new ApiClient(url(behindProxy)).post(
        '/api/login',
        { email, password },
        { 'x-forwarded-for': spoofed() },
      );
    const results = await Promise.all([
      ...Array.from({ length: 12 }, () => attempt('guess guess')),
      attempt('the password'),
    ]);
    const codes = results.map((r) => r.status);
    const evaluated = codes.filter((c) => c !== 429);
    expect(evaluated.length, codes.join(' ')).toBeLessThanOrEqual(3);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(10);
  });
});

describe('an attacker does not lock the owner out', () => {
  // Each actor has its own address (the proxy's X-Forwarded-For), so only the account limit is at play.
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const lockOut = async (email: string) => {
    for (let i = 0; i < 3; i++) {
      const res = await new ApiClient(url(behindProxy)).post(
        '/api/login',
        { email, password: 'x wrong x' },
        from(spoofed()),
      );
      expect(res.status).toBe(401);
    }
  };

  it('lets the owner in from a browser that signed in before, while others wait and are told until when', async () => {
    const email = uniqueEmail('owner');
    const owner = new ApiClient(url(behindProxy));
    await owner.signUp(email, 'the password');
    expect(owner.device).toMatch(/^cc_device=/);
    await owner.post('/api/logout', {});
    await lockOut(email);

    const stranger = await new ApiClient(url(behindProxy)).post(
      '/api/login',
      { email, password: 'the password' },
      from('198.51.100.52'),
    );
    expect(stranger.status).toBe(429);
    expect(stranger.body.error.message).toMatch(/Try again in \d+ (minutes|seconds)/);
    expect(Number(stranger.headers.get('retry-after'))).toBeGreaterThan(0);

    const back = await owner.post('/api/login', { email, password: 'the password' }, from('198.51.100.50'));
    expect(back.status).toBe(200);
    expect((await owner.get('/api/tasks')).status).toBe(200);
  });

  it('limits guesses from a known browser too', async () => {
    const email = uniqueEmail('device');
    const owner = new ApiClient(url(behindProxy));
    await owner.signUp(email, 'the password');
    const ip = from('198.51.100.77');
    for (let i = 0; i < 3; i++) {
      expect((await owner.post('/api/login', { email, password: 'wrong one' }, ip)).status).toBe(401);
    }
    expect((await owner.post('/api/login', { email, password: 'the password' }, ip)).status).toBe(429);
  });

  it("does not let another account's known-browser cookie past the lock", async () => {
    const mine = new ApiClient(url(behindProxy));
    await mine.signUp(uniqueEmail('mine'), 'my password 1');
    const victim = uniqueEmail('victim');
    await new ApiClient(url(behindProxy)).signUp(victim, 'the password');
    await lockOut(victim);
    const res = await mine.post(
      '/api/login',
      { email: victim, password: 'the password' },
      from('198.51.100.60'),
    );
    expect(res.status).toBe(429);
  });

  it('ignores a forged known-browser cookie', async () => {
    const victim = uniqueEmail('forged');
    const owner = new ApiClient(url(behindProxy));
    const user = await owner.signUp(victim, 'the password');
    await lockOut(victim);
    const forger = new ApiClient(url(behindProxy));
    const [, , nonce] = owner.device.replace('cc_device=', '').split('.');
    forger.device = `cc_device=d1.${user.id}.${nonce}.${'A'.repeat(43)}`;
    const res = await forger.post(
      '/api/login',
      { email: victim, password: 'the password' },
      from('198.51.100.61'),
    );
    expect(res.status).toBe(429);
  });
});
