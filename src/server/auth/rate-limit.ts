/**
 * A fixed-window counter per key, in memory. Per instance by design: counting attempts in the
 * database would make every failed login an S3 upload. On Lambda each instance limits on its own,
 * so a fleet of N instances allows up to N times the limit — still enough to stop guessing.
 *
 * Callers check and count in the same synchronous step (takeAttempt), before any await: a check
 * before a slow hash and a count after it let a burst of concurrent guesses all pass the check.
 */
export class RateLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(limit: number, windowMs: number, now: () => number = Date.now) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.now = now;
  }

  /** Seconds to wait if `key` is over its limit, else 0. Does not count an attempt. */
  retryAfter(key: string): number {
    const h = this.hits.get(key);
    const now = this.now();
    if (!h || h.resetAt <= now) return 0;
    return h.count >= this.limit ? Math.ceil((h.resetAt - now) / 1000) : 0;
  }

  /** Counts one attempt against `key`. */
  hit(key: string): void {
    const now = this.now();
    const h = this.hits.get(key);
    if (!h || h.resetAt <= now) {
      this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
      if (this.hits.size > 10_000) this.sweep(now);
    } else {
      h.count++;
    }
  }

  /** Takes back one attempt counted against `key` (one that turned out not to be a failure). */
  release(key: string): void {
    const h = this.hits.get(key);
    if (h && h.resetAt > this.now() && h.count > 0) h.count--;
  }

  /** Forgets `key` (after a successful login for the account). */
  reset(key: string): void {
    this.hits.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, h] of this.hits) if (h.resetAt <= now) this.hits.delete(k);
  }
}

/**
 * Checks every `[limiter, key]` pair and, if none is over its limit, counts one attempt against
 * each, synchronously. Returns the seconds to wait (the longest) when one is over, else 0.
 */
export function takeAttempt(pairs: readonly (readonly [RateLimiter, string])[]): number {
  const wait = Math.max(0, ...pairs.map(([limiter, key]) => limiter.retryAfter(key)));
  if (wait > 0) return wait;
  for (const [limiter, key] of pairs) limiter.hit(key);
  return 0;
}
