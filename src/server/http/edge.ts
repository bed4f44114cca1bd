/**
 * Requests the server answers itself, before Astro: those Astro's Node adapter cannot turn into a
 * web Request (it would answer a bare 500 or a plain-text 400). Under /api/ the answer follows the
 * JSON error contract (docs/api.md); elsewhere it is a small HTML page.
 *
 * Plain TypeScript with erasable syntax only: server.ts runs it directly under Node.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Methods the WHATWG Request constructor refuses outright (Astro would answer 500). */
const UNBUILDABLE_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
/** What the app serves at all; the API's own 405s (src/server/http/api-contract.ts) list each route's. */
const PAGE_METHODS = 'GET, HEAD, POST';
const API_METHODS = 'GET, HEAD, POST, PATCH, DELETE';

/**
 * Answers a request Astro cannot take — a method Node's fetch refuses to build, or a URL whose
 * percent-escapes are not UTF-8 — and returns true; otherwise returns false and leaves `res` alone.
 */
export function answerUnroutable(req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '/';
  const isApi = /^\/api(\/|\?|$)/.test(url);
  const method = (req.method ?? 'GET').toUpperCase();
  if (UNBUILDABLE_METHODS.has(method)) {
    const allow = isApi ? API_METHODS : PAGE_METHODS;
    const message = `${method} is not supported here. Use ${allow.replace(/, (?=[^,]+$)/, ' or ')}.`;
    send(res, 405, isApi, 'method_not_allowed', message, { Allow: allow });
    return true;
  }
  if (!isDecodable(url)) {
    const message = 'The address is malformed: a percent-escape in it does not encode UTF-8 text.';
    send(res, 400, isApi, 'invalid', message, {});
    return true;
  }
  return false;
}

function isDecodable(url: string): boolean {
  try {
    decodeURI(url);
    return true;
  } catch {
    return false;
  }
}

function send(
  res: ServerResponse,
  status: number,
  isApi: boolean,
  code: string,
  message: string,
  headers: Record<string, string>,
): void {
  const body = isApi ? JSON.stringify({ error: { code, message } }) : page(status, message);
  res.writeHead(status, {
    'Content-Type': isApi ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function page(status: number, message: string): string {
  const title = status === 405 ? 'Not something this page does' : 'That link is broken';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Code Canvas</title><link rel="stylesheet" href="/error.css"></head><body><main><h1>${title}</h1><p>${message}</p><p><a href="/">Go to your board</a></p></main></body></html>`;
}
