import { describe, expect, it } from 'vitest';
import { rateLimitKey, resolveClientAddress } from '../../src/server/http/client-address.ts';

const context = (sourceIp: unknown) => JSON.stringify({ http: { sourceIp }, requestId: 'r' });

describe('resolveClientAddress', () => {
  it('facing clients directly, takes the TCP peer and ignores what the client wrote', () => {
    const headers = { 'x-forwarded-for': '203.0.113.9', 'x-amzn-request-context': context('203.0.113.8') };
    expect(resolveClientAddress(headers, '198.51.100.1', { kind: 'direct' })).toBe('198.51.100.1');
    expect(resolveClientAddress({}, '::ffff:198.51.100.1', { kind: 'direct' })).toBe('198.51.100.1');
    expect(resolveClientAddress({}, undefined, { kind: 'direct' })).toBe('unknown');
  });

  it('behind N proxies, takes the Nth X-Forwarded-For entry from the right', () => {
    const headers = { 'x-forwarded-for': 'spoofed, 203.0.113.1,198.51.100.2 , 192.0.2.3' };
    expect(resolveClientAddress(headers, '10.0.0.1', { kind: 'hops', hops: 1 })).toBe('192.0.2.3');
    expect(resolveClientAddress(headers, '10.0.0.1', { kind: 'hops', hops: 2 })).toBe('198.51.100.2');
    expect(resolveClientAddress(headers, '10.0.0.1', { kind: 'hops', hops: 3 })).toBe('203.0.113.1');
  });

  it('behind N proxies, joins repeated headers and uses the leftmost when fewer hops wrote one', () => {
    const repeated = { 'x-forwarded-for': ['203.0.113.1', '192.0.2.3'] };
    expect(resolveClientAddress(repeated, '10.0.0.1', { kind: 'hops', hops: 1 })).toBe('192.0.2.3');
    const short = { 'x-forwarded-for': '192.0.2.3' };
    expect(resolveClientAddress(short, '10.0.0.1', { kind: 'hops', hops: 2 })).toBe('192.0.2.3');
    expect(resolveClientAddress({}, '10.0.0.1', { kind: 'hops', hops: 1 })).toBe('10.0.0.1');
  });

  it('behind N proxies, names a garbage entry unknown rather than trusting it', () => {
    const headers = { 'x-forwarded-for': '203.0.113.1, not-an-ip' };
    expect(resolveClientAddress(headers, '10.0.0.1', { kind: 'hops', hops: 1 })).toBe('unknown');
    expect(
      resolveClientAddress({ 'x-forwarded-for': '[2001:db8::1]' }, '10.0.0.1', { kind: 'hops', hops: 1 }),
    ).toBe('2001:db8::1');
  });

  it("behind a Function URL, takes the adapter's source IP and never X-Forwarded-For", () => {
    const trust = { kind: 'lambda-url' } as const;
    const headers = { 'x-forwarded-for': '203.0.113.9', 'x-amzn-request-context': context('198.51.100.7') };
    expect(resolveClientAddress(headers, '127.0.0.1', trust)).toBe('198.51.100.7');
    expect(resolveClientAddress(headers, '::1', trust)).toBe('198.51.100.7');
    const rest = { 'x-amzn-request-context': JSON.stringify({ identity: { sourceIp: '198.51.100.8' } }) };
    expect(resolveClientAddress(rest, '127.0.0.1', trust)).toBe('198.51.100.8');
  });

  it('behind a Function URL, believes the request context only from the adapter on loopback', () => {
    const trust = { kind: 'lambda-url' } as const;
    const headers = { 'x-amzn-request-context': context('198.51.100.7') };
    expect(resolveClientAddress(headers, '192.0.2.50', trust)).toBe('192.0.2.50');
    expect(resolveClientAddress({ 'x-forwarded-for': '203.0.113.9' }, '127.0.0.1', trust)).toBe('127.0.0.1');
    expect(resolveClientAddress({ 'x-amzn-request-context': '{not json' }, '127.0.0.1', trust)).toBe(
      '127.0.0.1',
    );
    expect(resolveClientAddress({ 'x-amzn-request-context': context(42) }, '127.0.0.1', trust)).toBe(
      '127.0.0.1',
    );
  });
});

describe('rateLimitKey', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(rateLimitKey('198.51.100.7')).toBe('198.51.100.7');
    expect(rateLimitKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8:1:2::9')).toBe(rateLimitKey('2001:0db8:0001:0002:ffff::1'));
    expect(rateLimitKey('2001:db8:1:3::9')).not.toBe(rateLimitKey('2001:db8:1:2::9'));
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('unknown')).toBe('unknown');
  });
});
