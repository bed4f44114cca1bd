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
});
