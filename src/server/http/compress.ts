/**
 * Response compression at the edge of the process. Behind a Function URL in response-streaming
 * mode nothing between the app and the browser compresses (the Lambda Web Adapter's compression
 * does not work in that mode and there is no CDN), so the server does it itself.
 *
 * 1. Brotli, else gzip, chosen by the request's Accept-Encoding; identity when it allows neither.
 * 2. Only text-like bodies (HTML, JSON, CSS, JavaScript, SVG, plain text) are compressed, and not
 *    when the response is already encoded, says `no-transform`, has no body (HEAD, 204, 304) or
 *    is shorter than MIN_BYTES (its headers wait until that is known; then it gets a length).
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
import { type Encoding, isCompressible, negotiateEncoding, varyOnEncoding } from './encoding.ts';
import { indexPrecompressed, servePrecompressed } from './precompressed.ts';

/** Bodies shorter than this (when their length is known up front) are not worth a compressor. */
export const MIN_BYTES = 1024;

/**
 * Dynamic pages favour speed: Brotli quality 5 gives most of quality 11's ratio on HTML at a small
 * fraction of its CPU (static files get 11, once, at build time).
 */
const BROTLI_QUALITY = 5;
/** A 256 KB window: pages are smaller, and a smaller encoder costs half as much to set up. */
const BROTLI_WINDOW_BITS = 18;
const GZIP_LEVEL = 6;

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
 * response turns out to be worth it. The headers are held back until that is known: until the
 * body reaches MIN_BYTES, the app ends it, or a turn of the event loop passes (a streamed page).
 * A short body then goes out as it is, with a Content-Length, and no compressor is made for it.
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

  /** `open`: nothing written yet; `holding`: headers and body held back; `passing`: sent as is. */
  let state: 'open' | 'holding' | 'passing' | 'zipping' = 'open';
  let reason: string | undefined;
  let zipped: ReturnType<typeof createGzip> | undefined;
  // What the app wrote since the last flush, compressed in one piece: Astro writes a page in many
  // small chunks, and each write to a zlib stream is a round trip to the thread pool.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let callbacks: WriteCallback[] = [];
  let flushQueued = false;
  /** Whether the compressor holds input it has not flushed out yet. */
  let unflushed = false;

  /** Whether this response could be compressed at all, judged from its status and headers. */
  const candidate = () => {
    if (!isCompressible(res.getHeader('content-type'))) return false;
    varyOnEncoding(res);
    if (!encoding || req.method === 'HEAD') return false;
    const status = res.statusCode;
    if (status === 204 || status === 304 || status < 200) return false;
    if (res.getHeader('content-encoding') !== undefined) return false;
    if (/\bno-transform\b/i.test(String(res.getHeader('cache-control') ?? ''))) return false;
    const declared = Number(res.getHeader('content-length') ?? Number.NaN);
    return !(Number.isFinite(declared) && declared < MIN_BYTES);
  };

  const sendHead = () =>
    reason === undefined ? writeHead(res.statusCode) : writeHead(res.statusCode, reason);

  /** Hands what is pending to the compressor (and ends it when `last`). */
  const drainInto = (z: NonNullable<typeof zipped>, last: boolean) => {
    const body = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    const done = callbacks;
    pending = [];
    pendingBytes = 0;
    callbacks = [];
    const after = (err?: Error | null) => {
      for (const cb of done) cb(err);
    };
    if (last) {
      z.end(body, () => after());
    } else if (body.length > 0) {
      z.write(body, after);
      unflushed = true;
    }
  };

  /** Leaves `holding`: starts compressing, or (short body, `last`) sends it as it is. */
  const release = (last: boolean) => {
    if (last && pendingBytes < MIN_BYTES) {
      state = 'passing';
      res.setHeader('Content-Length', pendingBytes);
      sendHead();
      const body = Buffer.concat(pending);
      const done = callbacks;
      pending = [];
      callbacks = [];
      end(body, () => {
        for (const cb of done) cb();
      });
      return;
    }
    state = 'zipping';
    res.removeHeader('content-length');
    res.setHeader('Content-Encoding', encoding as Encoding);
    const z =
      encoding === 'br'
        ? createBrotliCompress({
            params: {
              [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
              [constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
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
    sendHead();
    drainInto(z, last);
  };

  const queueFlush = () => {
    if (flushQueued) return;
    flushQueued = true;
    setImmediate(() => {
      flushQueued = false;
      if (state === 'holding') release(false);
      const z = zipped;
      if (state !== 'zipping' || !z || z.writableEnded || z.destroyed) return;
      if (pending.length > 0) drainInto(z, false);
      if (!unflushed) return;
      unflushed = false;
      z.flush();
    });
  };

  /** The app's headers are final: hold them back if the body might be compressed, else send them. */
  const start = () => {
    if (candidate()) {
      state = 'holding';
    } else {
      state = 'passing';
      sendHead();
    }
  };

  const toBuffer = (chunk: unknown, enc?: unknown): Buffer =>
    typeof chunk === 'string'
      ? Buffer.from(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8')
      : Buffer.from(
          (chunk as Uint8Array).buffer,
          (chunk as Uint8Array).byteOffset,
          (chunk as Uint8Array).byteLength,
        );

  res.writeHead = ((...args: unknown[]) => {
    if (state !== 'open') return writeHead(...args);
    const [status, second, third] = args as [
      number,
      string | OutgoingHttpHeaders | (string | string[])[] | undefined,
      OutgoingHttpHeaders | (string | string[])[] | undefined,
    ];
    if (typeof second === 'string') reason = second;
    const given = typeof second === 'string' ? third : second;
    // Headers handed to writeHead are not visible to getHeader; move them onto the response first.
    if (Array.isArray(given)) {
      const flat = given.flat();
      for (let i = 0; i + 1 < flat.length; i += 2) res.appendHeader(String(flat[i]), String(flat[i + 1]));
    } else if (given) {
      for (const [k, v] of Object.entries(given)) if (v !== undefined) res.setHeader(k, v);
    }
    res.statusCode = status;
    start();
    return res;
  }) as ServerResponse['writeHead'];

  res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (state === 'open') start();
    if (state === 'passing') return write(chunk, ...rest);
    if (zipped?.writableEnded) return false;
    const buf = toBuffer(chunk, rest[0]);
    pending.push(buf);
    pendingBytes += buf.length;
    const callback = rest.find((a): a is WriteCallback => typeof a === 'function');
    if (callback) callbacks.push(callback);
    if (state === 'holding' && pendingBytes >= MIN_BYTES) release(false);
    queueFlush();
    return !zipped?.isPaused();
  }) as ServerResponse['write'];

  res.end = ((...args: unknown[]): ServerResponse => {
    const chunk = typeof args[0] === 'function' ? undefined : args[0];
    if (state === 'open') {
      // The whole body at once: its length decides.
      const length =
        chunk === undefined || chunk === null
          ? 0
          : typeof chunk === 'string' || chunk instanceof Uint8Array
            ? Buffer.byteLength(chunk)
            : 0;
      if (length < MIN_BYTES) {
        state = 'passing';
        if (isCompressible(res.getHeader('content-type'))) varyOnEncoding(res);
        return end(...args);
      }
      start();
    }
    if (state === 'passing') return end(...args);
    if (zipped?.writableEnded) return res;
    const callback = args.find((a): a is () => void => typeof a === 'function');
    if (callback) res.once('finish', callback);
    if (chunk !== undefined && chunk !== null) {
      const buf = toBuffer(chunk, args[1]);
      pending.push(buf);
      pendingBytes += buf.length;
    }
    if (state === 'holding') release(true);
    else if (zipped) drainInto(zipped, true);
    return res;
  }) as ServerResponse['end'];
}
