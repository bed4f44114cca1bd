// Response compression over a real socket: a Node server on loopback runs the same hook server.ts
// runs, and a plain client reads what went over the wire.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, createBrotliDecompress, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompression } from '../../src/server/http/compress.ts';
import { isCompressible, negotiateEncoding } from '../../src/server/http/encoding.ts';
import { precompressDir } from '../../src/server/http/precompressed.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const HTML = `<!doctype html><html><head><title>t</title></head><body>${'<p>A task card, more or less.</p>'.repeat(200)}</body></html>`;
const CSS = `.card { color: red; }\n${'.x { margin: 0 auto; padding: 1rem; }\n'.repeat(100)}`;

let server: Server;
let base: string;
let handler: Handler;
let nextCalls = 0;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cc-compress-'));
  writeFileSync(join(dir, 'app.css'), CSS);
  writeFileSync(join(dir, 'tiny.css'), '.a{}');
  precompressDir(dir);
  const compress = createCompression({ clientDir: dir });
  server = createServer((req, res) =>
    compress(req, res, () => {
      nextCalls++;
      handler(req, res);
    }),
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The way Astro's Node adapter answers: writeHead with a headers object, then the body in chunks. */
const astroLike =
  (body: string, type = 'text/html; charset=utf-8', extra: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': type, ...extra });
    for (let i = 0; i < body.length; i += 4000) res.write(Buffer.from(body.slice(i, i + 4000)));
    res.end();
  };

describe('negotiating the encoding', () => {
  it('prefers Brotli, falls back to gzip, and honours q-values and *', () => {
    expect(negotiateEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(negotiateEncoding('gzip, deflate')).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip;q=0.8')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip')).toBe('gzip');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('*, br;q=0')).toBe('gzip');
    expect(negotiateEncoding('identity')).toBeUndefined();
    expect(negotiateEncoding('gzip;q=0, br;q=0')).toBeUndefined();
    expect(negotiateEncoding(undefined)).toBeUndefined();
    expect(negotiateEncoding('')).toBeUndefined();
  });

  it('compresses text, JSON, JavaScript and SVG, not images or archives', () => {
    for (const t of [
      'text/html; charset=utf-8',
      'application/json',
      'text/css',
      'text/javascript',
      'image/svg+xml',
    ]) {
      expect(isCompressible(t), t).toBe(true);
    }
    for (const t of ['image/png', 'application/zip', 'application/octet-stream', undefined, 42]) {
      expect(isCompressible(t), String(t)).toBe(false);
    }
  });
});

describe('compressing what the app writes', () => {
  it('sends a page as Brotli to a client that takes it, with Vary and no Content-Length', async () => {
    handler = astroLike(HTML);
    const res = await get('/', { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers['content-length']).toBeUndefined();
    expect(brotliDecompressSync(res.body).toString()).toBe(HTML);
    expect(res.body.length).toBeLessThan(HTML.length / 10);
  });

  it('sends gzip to a client that does not take Brotli, and plain bytes to one that takes neither', async () => {
    handler = astroLike(JSON.stringify({ tasks: HTML }), 'application/json; charset=utf-8');
    const gz = await get('/api/tasks', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.body).toString())).toEqual({ tasks: HTML });
    const plain = await get('/api/tasks', { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(JSON.parse(plain.body.toString())).toEqual({ tasks: HTML });
  });

  it('keeps a Vary the app set and adds Accept-Encoding to it', async () => {
    handler = astroLike(HTML, 'text/html', { vary: 'Cookie' });
    const res = await get('/', { 'accept-encoding': 'br' });
    expect(res.headers.vary).toBe('Cookie, Accept-Encoding');
  });

  it('leaves alone what should not be compressed: small bodies, images, no-transform, HEAD, 304', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('short and sweet');
    };
    const small = await get('/', { 'accept-encoding': 'br' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.vary).toBe('Accept-Encoding');
    expect(small.body.toString()).toBe('short and sweet');

    // A short body written in pieces (as Astro writes an API answer): sent whole, with its length.
    handler = (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.write('{"error":');
      res.end('{"code":"unauthorized"}}');
    };
    const json = await get('/api', { 'accept-encoding': 'br' });
    expect(json.status).toBe(401);
    expect(json.headers['content-encoding']).toBeUndefined();
    expect(json.headers['content-length']).toBe('33');
    expect(JSON.parse(json.body.toString())).toEqual({ error: { code: 'unauthorized' } });

    const png = Buffer.alloc(5000, 7);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
      res.end(png);
    };
    const image = await get('/x.png', { 'accept-encoding': 'br' });
    expect(image.headers['content-encoding']).toBeUndefined();
    expect(image.headers.vary).toBeUndefined();
    expect(image.body.equals(png)).toBe(true);

    handler = astroLike(HTML, 'text/html', { 'cache-control': 'no-transform' });
    expect((await get('/', { 'accept-encoding': 'br' })).headers['content-encoding']).toBeUndefined();

    handler = astroLike(HTML);
    const head = await get('/', { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(head.body.length).toBe(0);

    handler = (_req, res) => {
      res.writeHead(304, { 'content-type': 'text/html' });
      res.end();
    };
    const notModified = await get('/', { 'accept-encoding': 'br' });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['content-encoding']).toBeUndefined();
  });

  it('flushes a streamed page as it goes: the head arrives before the app writes the rest', async () => {
    let sawHead: () => void = () => {};
    const headSeen = new Promise<'seen'>((ok) => {
      sawHead = () => ok('seen');
    });
    const order: string[] = [];
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<!doctype html><html><head><title>early</title></head>');
      // The rest waits for the client to have decoded the head (or gives up after 5 s, and the
      // test then fails on the order below).
      void Promise.race([headSeen, new Promise((ok) => setTimeout(() => ok('timeout'), 5000))]).then(
        (why) => {
          order.push(`server writes the body (${why})`);
          res.end(`<body>${'late '.repeat(500)}</body></html>`);
        },
      );
    };
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${base}/`, { headers: { 'accept-encoding': 'br' } }, (res) => {
        expect(res.headers['content-encoding']).toBe('br');
        const inflate = res.pipe(createBrotliDecompress());
        let all = '';
        inflate.on('data', (c: Buffer) => {
          all += c.toString();
          if (all.includes('</head>') && !order.includes('client sees the head')) {
            order.push('client sees the head');
            sawHead();
          }
        });
        inflate.on('end', () => resolve(all));
        inflate.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(order).toEqual(['client sees the head', 'server writes the body (seen)']);
    expect(text).toMatch(/<\/body><\/html>$/);
  });
});

describe('pre-compressed static files', () => {
  it('sends the .br written at build time, byte for byte, with a validator and long caching for bundles', async () => {
    nextCalls = 0;
    const res = await get('/app.css', { 'accept-encoding': 'gzip, br' });
    expect(nextCalls).toBe(0);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.body.equals(readFileSync(join(dir, 'app.css.br')))).toBe(true);
    expect(brotliDecompressSync(res.body).toString()).toBe(CSS);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);

    const again = await get('/app.css', {
      'accept-encoding': 'br',
      'if-none-match': String(res.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const gz = await get('/app.css', { 'accept-encoding': 'gzip' });
    expect(gz.body.equals(readFileSync(join(dir, 'app.css.gz')))).toBe(true);
    expect(gz.headers.etag).not.toBe(res.headers.etag);
  });

  it('hands the request to the app when the client takes no encoding or the file has no sibling', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'text/css');
      res.end('from the app');
    };
    nextCalls = 0;
    expect((await get('/app.css')).body.toString()).toBe('from the app');
    expect((await get('/tiny.css', { 'accept-encoding': 'br' })).body.toString()).toBe('from the app');
    expect((await get('/app.css', { 'accept-encoding': 'br' }, 'POST')).body.toString()).toBe('from the app');
    expect(nextCalls).toBe(3);
  });
});
