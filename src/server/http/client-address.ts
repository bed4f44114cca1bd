/**
 * The client's address, decided once per request at the edge (server.ts) from what the operator
 * says sits in front of the server (CC_TRUST_PROXY). Every header a client can write is ignored
 * unless a trusted hop wrote it.
 *
 * Plain TypeScript with erasable syntax only: server.ts runs it directly under Node.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { ProxyTrust } from '../config.ts';

type Headers = Record<string, string | string[] | undefined>;

/**
 * The client address for a request, or `unknown`:
 * - `direct`: the TCP peer; X-Forwarded-For is the client's own say-so and is ignored.
 * - `hops` N: the Nth X-Forwarded-For entry from the right (each trusted proxy appended one); with
 *   fewer entries, the leftmost, which the outermost trusted proxy wrote.
 * - `lambda-url`: the Function URL's `requestContext.http.sourceIp`, which the Lambda Web Adapter
 *   forwards in `x-amzn-request-context`, overwriting any such header a client sent. X-Forwarded-For
 *   is no use there: the Function URL passes on the first value a client wrote. Only a peer on
 *   loopback (where the adapter connects from) is believed; elsewhere the TCP peer is the client.
 */
export function resolveClientAddress(
  headers: Headers,
  socketAddress: string | undefined,
  trust: ProxyTrust,
): string {
  const peer = normaliseAddress(socketAddress ?? '') ?? 'unknown';
  if (trust.kind === 'direct') return peer;
  if (trust.kind === 'lambda-url') {
    if (!isLoopback(peer)) return peer;
    return sourceIpOf(headers['x-amzn-request-context']) ?? peer;
  }
  const entries = forwardedFor(headers['x-forwarded-for']);
  if (entries.length === 0) return peer;
  const entry = entries[Math.max(0, entries.length - trust.hops)] ?? '';
  return normaliseAddress(entry) ?? 'unknown';
}

/**
 * The key a rate limit counts a client under: the address itself for IPv4, the /64 network for IPv6
 * (one subscriber routinely holds a whole /64, so counting single addresses would limit nothing).
 */
export function rateLimitKey(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

/** An IPv4 or IPv6 address in canonical form (IPv4-mapped IPv6 as IPv4), or null. */
function normaliseAddress(raw: string): string | null {
  const v = raw.trim().replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(v)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (isIPv4(v)) return v;
  if (isIPv6(v)) return v.toLowerCase();
  return null;
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address);
}

function forwardedFor(header: string | string[] | undefined): string[] {
  const joined = Array.isArray(header) ? header.join(',') : (header ?? '');
  return joined
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function sourceIpOf(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  try {
    const context = JSON.parse(header) as {
      http?: { sourceIp?: unknown };
      identity?: { sourceIp?: unknown };
    };
    // Function URLs and HTTP APIs put it under http; REST APIs under identity.
    const ip = context.http?.sourceIp ?? context.identity?.sourceIp;
    return typeof ip === 'string' ? normaliseAddress(ip) : null;
  } catch {
    return null;
  }
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] | null {
  const [head = '', tail] = address.toLowerCase().split('::');
  const part = (s: string) => (s ? s.split(':') : []);
  let left = part(head);
  let right = tail === undefined ? [] : part(tail);
  // A trailing dotted quad is two groups.
  const toGroups = (groups: string[]) => {
    const last = groups.at(-1);
    if (!last || !isIPv4(last)) return groups;
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    return [...groups.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  left = toGroups(left);
  right = toGroups(right);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  return [...left, ...Array(missing).fill('0'), ...right].map((g) => Number.parseInt(g, 16).toString(16));
}
