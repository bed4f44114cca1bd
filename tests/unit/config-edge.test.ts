import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';

describe('edge settings', () => {
  it('trusts no proxy by default, a number of hops, or the Function URL', () => {
    expect(loadConfig({}).trustProxy).toEqual({ kind: 'direct' });
    expect(loadConfig({ CC_TRUST_PROXY: '0' }).trustProxy).toEqual({ kind: 'direct' });
    expect(loadConfig({ CC_TRUST_PROXY: '2' }).trustProxy).toEqual({ kind: 'hops', hops: 2 });
    expect(loadConfig({ CC_TRUST_PROXY: 'lambda-url' }).trustProxy).toEqual({ kind: 'lambda-url' });
  });

  it.each(['yes', '-1', '11', '1.5', 'lambda'])('refuses CC_TRUST_PROXY=%s, naming it', (v) => {
    expect(() => loadConfig({ CC_TRUST_PROXY: v })).toThrow(/^CC_TRUST_PROXY: /);
  });

  it('has defaults for the signup limit and the hash cap', () => {
    const c = loadConfig({});
    expect(c.signupRateLimit).toEqual({ perIp: 10, windowMs: 3_600_000 });
    expect(c.passwordHashing.concurrency).toBeGreaterThanOrEqual(1);
    expect(c.passwordHashing.concurrency).toBeLessThanOrEqual(3);
    expect(c.passwordHashing.waitMs).toBe(1000);
    expect(loadConfig({ CC_PASSWORD_HASH_CONCURRENCY: '4' }).passwordHashing.concurrency).toBe(4);
    expect(() => loadConfig({ CC_PASSWORD_HASH_CONCURRENCY: '0' })).toThrow(/CC_PASSWORD_HASH_CONCURRENCY/);
  });
});
