import type { MiddlewareHandler } from 'astro';
import { errorResponse, json } from './respond.ts';

/**
 * Keeps every answer under /api/ inside the JSON error contract (docs/api.md), in one place, for
 * every route there is and every one added later:
 * - a method the route does not serve (OPTIONS included: no CORS preflight is ever granted) is a
 *   JSON 405 with `Allow` listing what it does serve;
 * - an error Astro or a route answers in any other format becomes the same status in JSON;
 * - an exception a route let escape is logged and becomes a JSON 500.
 * Unknown paths reach src/pages/api/[...path].ts, a JSON 404. TRACE and malformed URLs never get
 * this far: server.ts answers them (src/server/http/edge.ts).
 */

/** Every API route module, by file name; loaded only to read which methods one exports. */
const ROUTE_MODULES = import.meta.glob<Record<string, unknown>>('../../pages/api/**/*.ts');
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Codes for statuses that reach here without one (Astro's own answers). */
const CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Route pattern (`/api/tasks/[id]`) → the loader of its module. */
const byPattern = new Map(
  Object.entries(ROUTE_MODULES).map(([file, load]) => [
    file
      .replace(/^\.\.\/\.\.\/pages/, '')
      .replace(/\.ts$/, '')
      .replace(/\/index$/, ''),
    load,
  ]),
);
const allowCache = new Map<string, string[] | null>();

/** True for `/api` and everything under it. */
export function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/');
}

/** The middleware step: see the top of this file. Pages pass straight through. */
export const apiContract: MiddlewareHandler = async (ctx, next) => {
  if (!isApiPath(ctx.url.pathname)) return next();
  const allowed = await allowedMethods(ctx.routePattern);
  if (allowed && !allowed.includes(ctx.request.method)) return methodNotAllowed(ctx.request.method, allowed);
  let res: Response;
  try {
    res = await next();
  } catch (err) {
    return errorResponse(err, ctx.locals.rt.log, { requestId: ctx.locals.requestId, path: ctx.url.pathname });
  }
  return res.status >= 400 && !isJson(res) ? asJsonError(res) : res;
};

/** The methods a route serves (HEAD with GET), or null when it takes any (`ALL`) or is not an API module. */
async function allowedMethods(pattern: string): Promise<string[] | null> {
  const cached = allowCache.get(pattern);
  if (cached !== undefined) return cached;
  const load = byPattern.get(pattern);
  const mod = load ? await load() : undefined;
  let allowed: string[] | null = null;
  if (mod && typeof mod.ALL !== 'function') {
    allowed = METHODS.filter(
      (m) => typeof mod[m] === 'function' || (m === 'HEAD' && typeof mod.GET === 'function'),
    );
  }
  allowCache.set(pattern, allowed);
  return allowed;
}

function methodNotAllowed(method: string, allowed: string[]): Response {
  const list = allowed.join(', ');
  return json(
    { error: { code: 'method_not_allowed', message: `${method} is not supported here. Use ${list}.` } },
    405,
    { Allow: list },
  );
}

function isJson(res: Response): boolean {
  return /^application\/json/i.test(res.headers.get('content-type') ?? '');
}

/** The same status in the JSON error shape, keeping headers that matter to a client (Retry-After, Allow). */
async function asJsonError(res: Response): Promise<Response> {
  const text = res.body ? (await res.text()).trim() : '';
  const code = CODES[res.status] ?? (res.status >= 500 ? 'internal' : 'invalid');
  // Astro's own plain-text answers are short and say what went wrong; an HTML page says nothing useful.
  const message =
    text && text.length < 200 && !text.startsWith('<') ? text : `The request failed (HTTP ${res.status}).`;
  const keep: Record<string, string> = {};
  for (const name of ['retry-after', 'allow']) {
    const v = res.headers.get(name);
    if (v) keep[name] = v;
  }
  return json({ error: { code, message } }, res.status, keep);
}
