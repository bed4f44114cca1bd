import { describe, expect, it } from 'vitest';
import { RateLimiter, takeAttempt } from '../../src/server/auth/rate-limit.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('takeAttempt', () => {
  it('counts up to the limit, then answers the seconds left in the window', () => {
    const c = clock();
    const limiter = new RateLimiter(3, 60_000, c.now);
    const pair = [[limiter, 'k']] as const;
    expect([takeAttempt(pair), takeAttempt(pair), takeAttempt(pair)]).toEqual([0, 0, 0]);
    expect(takeAttempt(pair)).toBe(60);
    c.advance(45_000);
    expect(takeAttempt(pair)).toBe(15);
    c.advance(15_000);
    expect(takeAttempt(pair)).toBe(0);
  });

  it('counts nothing anywhere when one of the limits is reached', () => {
    const ip = new RateLimiter(10, 60_000);
    const account = new RateLimiter(1, 60_000);
    takeAttempt([[account, 'a']]);
    expect(
      takeAttempt([
        [ip, '1.2.3.4'],
        [account, 'a'],
      ]),
    ).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect(takeAttempt([[ip, '1.2.3.4']])).toBe(0);
  });

  it('lets a burst of concurrent attempts through only up to the limit', async () => {
    const limiter = new RateLimiter(5, 60_000);
    const slowHash = () => new Promise((r) => setTimeout(r, 5));
    const results = await Promise.all(
      Array.from({ length: 13 }, async () => {
        if (takeAttempt([[limiter, 'k']]) > 0) return 'limited';
        await slowHash();
        return 'evaluated';
      }),
    );
    expect(results.filter((r) => r === 'evaluated')).toHaveLength(5);
  });

  it('gives an attempt back with release, and never below zero', () => {
    const limiter = new RateLimiter(1, 60_000);
    const pair = [[limiter, 'k']] as const;
    expect(takeAttempt(pair)).toBe(0);
    limiter.release('k');
    limiter.release('k');
    expect(takeAttempt(pair)).toBe(0);
    expect(takeAttempt(pair)).toBeGreaterThan(0);
  });
});
