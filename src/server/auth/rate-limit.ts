/**
 * A fixed-window counter per key, in memory. Per instance by design: counting attempts in the
 * database would make every failed login an S3 upload. On Lambda each instance limits on its own,
 * so a fleet of N instances allows up to N times the limit — still enough to stop guessing.
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

  /** Forgets `key` (after a successful login for the account). */
  reset(key: string): void {
    this.hits.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, h] of this.hits) if (h.resetAt <= now) this.hits.delete(k);
  }
}
