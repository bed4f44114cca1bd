/**
 * The server entry: `node server.ts` (after `npm run build`). The same file runs under `npm start`,
 * in the container and on Lambda (behind the Lambda Web Adapter, which forwards each invoke to
 * http://127.0.0.1:$PORT).
 *
 * It wraps Astro's Node handler with what belongs at the edge of the process: settings validated
 * before anything else, one JSON log line per request, a request id, security headers on every
 * response, an answer in the API's contract for requests Astro cannot take (TRACE, URLs that are
 * not UTF-8), the client address pinned to what CC_TRUST_PROXY trusts, kept pages answered without
 * the app while nothing they show changed (page-cache.ts), a warm-up so the database
 * restore begins at boot rather than on the first request, and a SIGTERM handler that exits within
 * Lambda's ~300 ms (nothing is ever left to upload by then).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './src/server/config.ts';
import { resolveClientAddress } from './src/server/http/client-address.ts';
import { createCompression } from './src/server/http/compress.ts';
import { answerUnroutable } from './src/server/http/edge.ts';
import { installPageCache } from './src/server/http/page-cache.ts';
import { createLogger } from './src/server/log.ts';

const ENTRY = new URL('./dist/server/entry.mjs', import.meta.url);

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`code-canvas: invalid setting ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
const log = createLogger(config.logLevel);

if (!existsSync(ENTRY)) {
  process.stderr.write('code-canvas: no build found (dist/server/entry.mjs); run `npm run build` first\n');
  process.exit(1);
}
process.env.ASTRO_NODE_AUTOSTART = 'disabled';
process.env.ASTRO_NODE_LOGGING = 'disabled';
const { handler } = (await import(ENTRY.href)) as {
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
};
const compress = createCompression({ clientDir: fileURLToPath(new URL('./dist/client/', import.meta.url)) });
/** Rendered pages answered again while nothing they show changed (the app fills it and checks hits). */
const pages = installPageCache(config.pageCacheMb * 1024 * 1024);
const app = (req: http.IncomingMessage, res: http.ServerResponse) =>
  compress(req, res, () => handler(req, res));

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};
const WARMUP_HEADER = 'x-code-canvas-warmup';
const REQUEST_ID = /^[\w.:-]{1,128}$/;

const server = http.createServer((req, res) => {
  const started = performance.now();
  const lambdaRequestId = parseLambdaRequestId(req.headers['x-amzn-lambda-context']);
  const given = req.headers['x-request-id'];
  const requestId =
    typeof given === 'string' && REQUEST_ID.test(given) ? given : (lambdaRequestId ?? randomUUID());
  req.headers['x-request-id'] = requestId;
  res.setHeader('X-Request-Id', requestId);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (req.headers['x-forwarded-proto'] === 'https') {
    res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  }
  const quiet = req.headers[WARMUP_HEADER] === '1';
  res.once('close', () => {
    if (quiet) return;
    log.info('request', {
      method: req.method,
      path: (req.url ?? '/').split('?')[0],
      status: res.statusCode,
      ms: Math.round((performance.now() - started) * 10) / 10,
      requestId,
      ...(lambdaRequestId ? { lambdaRequestId } : {}),
      ...(res.writableFinished ? {} : { aborted: true }),
    });
  });
  if (answerUnroutable(req, res)) return;
  pinClientAddress(req);
  const kept = pages.serve(req, res);
  if (!kept) return app(req, res);
  void kept.then((served) => served || app(req, res));
});
server.keepAliveTimeout = 65_000;

server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  log.info('listening', {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
  });
  void warmUp(port);
});

/** Polls /healthz in-process until the database is ready; exits if start-up failed for good. */
async function warmUp(port: number): Promise<void> {
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  for (;;) {
    try {
      const res = await fetch(url, { headers: { [WARMUP_HEADER]: '1' } });
      const body = (await res.json()) as { status?: string; error?: string };
      if (res.ok) return;
      if (body.status === 'failed') {
        log.error('start-up failed: exiting', { reason: body.error });
        process.exit(1);
      }
    } catch {
      // Not answering yet.
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Replaces X-Forwarded-For with the one client address this server trusts (CC_TRUST_PROXY), so
 * Astro's `clientAddress` — which reads the header's first entry — is that address and never a
 * value the client wrote.
 */
function pinClientAddress(req: http.IncomingMessage): void {
  req.headers['x-forwarded-for'] = resolveClientAddress(
    req.headers,
    req.socket.remoteAddress,
    config.trustProxy,
  );
}

function parseLambdaRequestId(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  try {
    const id = (JSON.parse(header) as { request_id?: unknown }).request_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Stop taking requests, give in-flight ones a moment, and exit well inside Lambda's 300 ms. */
function shutdown(signal: string): void {
  log.info('shutting down', { signal });
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 200).unref();
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
