/**
 * Response compression at the edge of the process. Behind a Function URL in response-streaming
 * mode nothing between the app and the browser compresses (the Lambda Web Adapter's compression
 * does not work in that mode and there is no CDN), so the server does it itself.
 *
 * 1. Brotli, else gzip, chosen by the request's Accept-Encoding; identity when it allows neither.
 * 2. Only text-like bodies (HTML, JSON, CSS, JavaScript, SVG, plain text) are compressed, and not
 *    when the response is already encoded, says `no-transform`, has no body (HEAD, 204, 304) or
 *    declares a length under MIN_BYTES.
 * 3. Every compressible response says `Vary: Accept-Encoding`, compressed or not, so a shared cache
 *    never hands Brotli to a client that cannot read it.
 * 4. A streamed page stays streamed: what the app wrote is compressed and flushed once per turn
 *    of the event loop (not per write, which would cost most of the ratio and a thread-pool round
 *    trip per chunk), so the `<head>` leaves as soon as Astro pauses, as it does uncompressed.
 * 5. Static files built with `.br`/`.gz` siblings (see precompressed.ts) are sent as they are,
 *    never compressed again at request time.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import { indexPrecompressed, servePrecompressed } from './precompressed.ts';

export type Encoding = 'br' | 'gzip';

/** Bodies shorter than this (when their length is known up front) are not worth a compressor. */
export const MIN_BYTES = 1024;

/**
 * Dynamic pages favour speed: Brotli quality 5 gives most of quality 11's ratio on HTML at a small
 * fraction of its CPU (static files get 11, once, at build time).
 */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json)|image\/svg\+xml)/i;

/** Whether a Content-Type names a body worth compressing (text, JSON, JavaScript, SVG). */
export function isCompressible(contentType: unknown): boolean {
  return typeof contentType === 'string' && COMPRESSIBLE.test(contentType.trim());
}

/**
 * The encoding to answer with for an Accept-Encoding header: `br` when the client takes it at least
 * as gladly as gzip, else `gzip`, else undefined (identity). Honours q-values and `*`.
 */
export function negotiateEncoding(header: string | string[] | undefined): Encoding | undefined {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const q = new Map<string, number>();
  for (const part of value.split(',')) {
    const [token = '', ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    let weight = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q') weight = Number(v);
    }
    q.set(token, Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 1) : 0);
  }
  const any = q.get('*');
  const br = q.get('br') ?? any ?? 0;
  const gzip = q.get('gzip') ?? q.get('x-gzip') ?? any ?? 0;
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return undefined;
}

/** Adds `Accept-Encoding` to the response's Vary header unless it is already there (or `*`). */
export function varyOnEncoding(res: ServerResponse): void {
  const current = res.getHeader('vary');
  const list = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.some((v) => v === '*' || v.toLowerCase() === 'accept-encoding')) return;
  res.setHeader('Vary', [...list, 'Accept-Encoding'].join(', '));
}

export interface CompressionOptions {
  /** The built client directory (dist/client), whose `.br`/`.gz` files are indexed once, now. */
  clientDir?: string | undefined;
}

/**
 * The request hook server.ts runs before the app: answers a static file from its pre-compressed
 * sibling when it can, otherwise arranges for whatever the app writes to be compressed, then calls
 * `next` to let the app answer.
 */
export function createCompression(opts: CompressionOptions = {}) {
  const files = opts.clientDir ? indexPrecompressed(opts.clientDir) : new Map();
  return function compress(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const encoding = negotiateEncoding(req.headers['accept-encoding']);
    if (servePrecompressed(files, req, res, encoding)) return;
    compressResponse(req, res, encoding);
    next();
  };
}

type WriteCallback = (err?: Error | null) => void;

/**
 * Wraps `res` so that the body written to it goes through a compressor for `encoding` when the
 * response turns out to be compressible (decided when its headers are written).
 */
export function compressResponse(
  req: IncomingMessage,
  res: ServerResponse,
  encoding: Encoding | undefined,
): void {
  // The response's own methods, bound once; the patched ones below replace them on `res`.
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let decided = false;
  let knownLength: number | undefined;
  let zipped: ReturnType<typeof createGzip> | undefined;
  // What the app wrote since the last flush, compressed in one piece: Astro writes a page in many
  // small chunks, and each write to a zlib stream is a round trip to the thread pool.
  let pending: Buffer[] = [];
  let callbacks: WriteCallback[] = [];
  let flushQueued = false;

  const decide = () => {
    decided = true;
    if (!isCompressible(res.getHeader('content-type'))) return;
    varyOnEncoding(res);
    if (!encoding || req.method === 'HEAD') return;
    const status = res.statusCode;
    if (status === 204 || status === 304 || status < 200) return;
    if (res.getHeader('content-encoding') !== undefined) return;
    if (/\bno-transform\b/i.test(String(res.getHeader('cache-control') ?? ''))) return;
    const declared = Number(res.getHeader('content-length') ?? knownLength ?? Number.NaN);
    if (Number.isFinite(declared) && declared < MIN_BYTES) return;
    res.removeHeader('content-length');
    res.setHeader('Content-Encoding', encoding);
    const z =
      encoding === 'br'
        ? createBrotliCompress({
            params: {
              [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
              [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            },
          })
        : createGzip({ level: GZIP_LEVEL });
    // Backpressure from the socket pauses the compressor, as the `compression` middleware does.
    z.on('data', (chunk: Buffer) => {
      if (!write(chunk)) z.pause();
    });
    res.on('drain', () => z.resume());
    z.once('end', () => end());
    z.once('error', (err) => res.destroy(err));
    res.once('close', () => z.destroy());
    zipped = z;
  };

  /** Hands what is pending to the compressor (and `end`s it when `last`). */
  const drainPending = (z: NonNullable<typeof zipped>, last: boolean) => {
    const body = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    const done = callbacks;
    pending = [];
    callbacks = [];
    const after = (err?: Error | null) => {
      for (const cb of done) cb(err);
    };
    if (last) z.end(body, () => after());
    else if (body.length > 0) z.write(body, after);
  };

  const queueFlush = () => {
    if (flushQueued) return;
    flushQueued = true;
    setImmediate(() => {
      flushQueued = false;
      const z = zipped;
      if (!z || z.writableEnded || z.destroyed || pending.length === 0) return;
      drainPending(z, false);
      z.flush();
    });
  };

  const toBuffer = (chunk: unknown, encoding?: unknown): Buffer =>
    typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : Buffer.from(
          (chunk as Uint8Array).buffer,
          (chunk as Uint8Array).byteOffset,
          (chunk as Uint8Array).byteLength,
        );

  res.writeHead = ((...args: unknown[]) => {
    if (decided) return writeHead(...args);
    const [status, reason, headers] = args as [
      number,
      string | OutgoingHttpHeaders | (string | string[])[] | undefined,
      OutgoingHttpHeaders | (string | string[])[] | undefined,
    ];
    const given = typeof reason === 'string' ? headers : reason;
    // Headers handed to writeHead are not visible to getHeader; move them onto the response first.
    if (Array.isArray(given)) {
      const flat = given.flat();
      for (let i = 0; i + 1 < flat.length; i += 2) res.appendHeader(String(flat[i]), String(flat[i + 1]));
    } else if (given) {
      for (const [k, v] of Object.entries(given)) if (v !== undefined) res.setHeader(k, v);
    }
    res.statusCode = status;
    decide();
    return typeof reason === 'string' ? writeHead(status, reason) : writeHead(status);
  }) as ServerResponse['writeHead'];

  res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (!decided) res.writeHead(res.statusCode);
    if (!zipped) return write(chunk, ...rest);
    if (zipped.writableEnded) return false;
    pending.push(toBuffer(chunk, rest[0]));
    const callback = rest.find((a): a is WriteCallback => typeof a === 'function');
    if (callback) callbacks.push(callback);
    queueFlush();
    return !zipped.isPaused();
  }) as ServerResponse['write'];

  res.end = ((...args: unknown[]): ServerResponse => {
    const chunk = typeof args[0] === 'function' ? undefined : args[0];
    if (!decided) {
      if (chunk === undefined || chunk === null) knownLength = 0;
      else if (typeof chunk === 'string' || chunk instanceof Uint8Array)
        knownLength = Buffer.byteLength(chunk);
      res.writeHead(res.statusCode);
    }
    if (!zipped) return end(...args);
    if (zipped.writableEnded) return res;
    const callback = args.find((a): a is () => void => typeof a === 'function');
    if (callback) res.once('finish', callback);
    if (chunk !== undefined && chunk !== null) pending.push(toBuffer(chunk, args[1]));
    drainPending(zipped, true);
    return res;
  }) as ServerResponse['end'];
}
