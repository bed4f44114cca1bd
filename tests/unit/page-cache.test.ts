import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { cutAtTokens, keyOf, type PageBasis, PageCache } from '../../src/server/http/page-cache.ts';

const BASIS: PageBasis = {
  userId: 1,
  sessionIdHash: 'hash',
  workspaceId: 'ws-one',
  versions: 'a b',
  clock: { timeZone: 'UTC', today: '2026-12-02', utcOffset: 0 },
  sessionStableUntil: Number.MAX_SAFE_INTEGER,
};
const COOKIE = 'cc_session=abc';
const token = (c: string) => c.repeat(22);

/** A server answering from `cache` only (404 when it has nothing, 500 when it declines). */
async function serve(cache: PageCache): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const kept = cache.serve(req, res);
    if (!kept) {
      res.writeHead(404).end();
      return;
    }
    void kept.then((served) => served || res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function get(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      request(url, { headers: { host: 'h', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      })
        .on('error', reject)
        .end();
    },
  );
}

let open: Server | undefined;
afterEach(() => {
  open?.close();
  open = undefined;
});

describe('page cache', () => {
  it('cuts a page at its tokens, and declines one whose token is missing or repeated', () => {
    const html = Buffer.from(`<a>${token('x')}</a><b>${token('y')}</b>`);
    const cut = cutAtTokens(html, [token('y'), token('x')]);
    expect(cut?.pieces.map(String)).toEqual(['<a>', '</a><b>', '</b>']);
    expect(cut?.tokenLengths).toEqual([22, 22]);
    expect(cutAtTokens(html, [token('z')])).toBeUndefined();
    expect(cutAtTokens(Buffer.from(`${token('x')}${token('x')}`), [token('x')])).toBeUndefined();
    expect(cutAtTokens(Buffer.from('no tokens'), [])?.pieces.map(String)).toEqual(['no tokens']);
  });

  it('keys on host, normalised path and query, cookie and language; nothing without a cookie', () => {
    const key = keyOf('h', '/w/a/./?q=1', COOKIE, 'de');
    expect(key).toBe(keyOf('h', 'http://h/w/a/?q=1', COOKIE, 'de'));
    expect(key).not.toBe(keyOf('h', '/w/a/?q=2', COOKIE, 'de'));
    expect(key).not.toBe(keyOf('h', '/w/a/?q=1', `${COOKIE}; cc_tz=Europe%2FBerlin`, 'de'));
    expect(key).not.toBe(keyOf('h', '/w/a/?q=1', COOKIE, 'fr'));
    expect(keyOf('h', '/w/a/', undefined, 'de')).toBeUndefined();
  });

  it('sends a kept page as a valid gzip stream with new tokens every time, or as it is without gzip', async () => {
    const cache = new PageCache({ maxBytes: 4 << 20 });
    cache.setCheck(async () => true);
    // Big enough that deflate makes several blocks; tokens at the start, middle and end.
    const middle = 'lorem ipsum dolor sit amet '.repeat(5000);
    const html = `${token('a')}<p>${middle}</p>${token('b')}<p>${middle}</p>${token('c')}`;
    const url = '/w/ws-one/';
    const key = keyOf('h', url, COOKIE, undefined) as string;
    const cut = cutAtTokens(Buffer.from(html), [token('a'), token('b'), token('c')]);
    expect(cut).toBeDefined();
    cache.store(key, {
      ...BASIS,
      headers: [['content-type', 'text/html']],
      ...(cut as NonNullable<typeof cut>),
    });
    const { url: base, server } = await serve(cache);
    open = server;

    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await get(`${base}${url}`, { cookie: COOKIE, 'accept-encoding': 'gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['content-type']).toBe('text/html');
      const text = gunzipSync(res.body).toString();
      const tokens = /^([\w-]{22})<p>.*<\/p>([\w-]{22})<p>.*<\/p>([\w-]{22})$/s.exec(text);
      expect(tokens).not.toBeNull();
      expect(text.length).toBe(html.length);
      for (const t of tokens?.slice(1) ?? []) {
        expect(seen.has(t)).toBe(false);
        seen.add(t);
      }
      expect(text.replace(/^[\w-]{22}|(?<=<\/p>)[\w-]{22}/g, 'T')).toBe(
        `T<p>${middle}</p>T<p>${middle}</p>T`,
      );
    }
    const plain = await get(`${base}${url}`, { cookie: COOKIE, 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBe(html.length);
    // Brotli but not gzip: not answered here (the app renders it, in Brotli).
    expect((await get(`${base}${url}`, { cookie: COOKIE, 'accept-encoding': 'br' })).status).toBe(404);
    // Another cookie: another page.
    expect(
      (await get(`${base}${url}`, { cookie: 'cc_session=other', 'accept-encoding': 'gzip' })).status,
    ).toBe(404);
    expect(cache.stats.hits).toBe(4);
  });

  it('drops a page whose check fails, and a page the check throws on is not sent', async () => {
    const cache = new PageCache({ maxBytes: 1 << 20 });
    let answer: boolean | Error = false;
    cache.setCheck(async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    });
    const key = keyOf('h', '/p', COOKIE, undefined) as string;
    const page = { ...BASIS, headers: [], pieces: [Buffer.from('page')], tokenLengths: [] };
    const { url: base, server } = await serve(cache);
    open = server;
    cache.store(key, page);
    expect((await get(`${base}/p`, { cookie: COOKIE })).status).toBe(500);
    // Dropped: the next request does not even ask.
    expect((await get(`${base}/p`, { cookie: COOKIE })).status).toBe(404);
    cache.store(key, page);
    answer = new Error('store unavailable');
    expect((await get(`${base}/p`, { cookie: COOKIE })).status).toBe(500);
    expect(cache.size.entries).toBe(1);
  });

  it('stays within its bytes, least recently used out first, and keeps no page over a quarter of it', () => {
    const cache = new PageCache({ maxBytes: 10_000 });
    const page = (bytes: number) => ({
      ...BASIS,
      headers: [],
      pieces: [Buffer.alloc(bytes, 'x')],
      tokenLengths: [],
    });
    for (let i = 0; i < 10; i++) cache.store(`k${i}`, page(2000));
    expect(cache.size.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.size.entries).toBe(4);
    expect(cache.stats.evicted).toBe(6);
    cache.store('big', page(3000));
    expect(cache.size.entries).toBe(4);
    expect(cache.stats.stored).toBe(10);
    const off = new PageCache({ maxBytes: 0 });
    off.store('k', page(10));
    expect(off.size.entries).toBe(0);
  });
});
