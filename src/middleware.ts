import { defineMiddleware, sequence } from 'astro:middleware';
import { getSessionUser } from './server/auth/service.ts';
import { SESSION_COOKIE } from './server/auth/session.ts';
import { AppError } from './server/errors.ts';
import { apiContract, isApiPath } from './server/http/api-contract.ts';
import { originCheck } from './server/http/origin-check.ts';
import { describeError, errorResponse } from './server/http/respond.ts';
import { getRuntime } from './server/runtime.ts';

/** Answer without the database: the adapter's readiness check and diagnostics. */
const OPERATIONS = new Set(['/healthz', '/version']);
/** Pages and API routes anyone may use; everything else needs a signed-in user. */
const PUBLIC = new Set(['/login', '/signup', '/api/signup', '/api/login', '/unavailable', '/404', '/500']);

/** The path without trailing slashes (`/` stays `/`). */
function pathOf(url: URL): string {
  return url.pathname.replace(/\/+$/, '') || '/';
}

/** Every request: the runtime, the request id, no user yet. */
const requestContext = defineMiddleware((ctx, next) => {
  ctx.locals.rt = getRuntime();
  ctx.locals.requestId = ctx.request.headers.get('x-request-id') ?? '';
  ctx.locals.user = null;
  return next();
});

/**
 * What a signed-in user was shown stays in their browser only, and not even there: no shared cache
 * keeps it, and the back button after logging out does not bring a board back from the cache.
 */
const privateCache = defineMiddleware(async (ctx, next) => {
  const res = await next();
  if (!ctx.locals.user) return res;
  return withHeader(res, 'Cache-Control', 'private, no-store');
});

/**
 * Makes sure this instance's database is at least as new as any write acknowledged before the
 * request arrived (one conditional GET, or none within CC_MAX_STALENESS_MS), then reads the session
 * cookie. Operations endpoints skip it: they must answer while the database is still restoring.
 */
const freshSession = defineMiddleware(async (ctx, next) => {
  const path = pathOf(ctx.url);
  if (OPERATIONS.has(path)) return next();
  const { rt } = ctx.locals;
  const arrivedAt = rt.engine.now();
  try {
    await rt.engine.ensureFresh(arrivedAt);
    ctx.locals.user = getSessionUser(rt, ctx.cookies.get(SESSION_COOKIE)?.value);
  } catch (err) {
    if (isApiPath(path)) return errorResponse(err, rt.log, { requestId: ctx.locals.requestId, path });
    const known = describeError(err);
    if (!known) throw err;
    rt.log.warn('request failed', { requestId: ctx.locals.requestId, path, status: known.status, err });
    return unavailablePage(known.body.error.message, known.status, known.headers);
  }
  return next();
});

/** Pages and API routes that need a user get one or are turned away (401 for the API, login for pages). */
const requireUser = defineMiddleware((ctx, next) => {
  const path = pathOf(ctx.url);
  if (ctx.locals.user || PUBLIC.has(path) || OPERATIONS.has(path)) return next();
  if (isApiPath(path)) return errorResponse(new AppError('unauthorized', 'Log in first.'), ctx.locals.rt.log);
  if (path.startsWith('/_actions/')) return next();
  const target = `${ctx.url.pathname}${ctx.url.search}`;
  return ctx.redirect(target === '/' ? '/login' : `/login?next=${encodeURIComponent(target)}`, 303);
});

/**
 * Request hooks, outermost first. The API contract wraps everything after it, so even a refusal
 * from the origin check or the session step is a JSON answer under /api/.
 */
export const onRequest = sequence(
  requestContext,
  privateCache,
  apiContract,
  originCheck,
  freshSession,
  requireUser,
);

/** A plain page for 503s raised before any page renders (no layout: the database may be what is missing). */
function unavailablePage(message: string, status: number, headers: Record<string, string>): Response {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Try again in a moment · Code Canvas</title><link rel="stylesheet" href="/error.css"></head><body><main><h1>Try again in a moment</h1><p>${escaped}</p><p><a href="">Reload</a></p></main></body></html>`;
  return new Response(html, {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

/** `res` with a header set; a copy when its headers are immutable (e.g. from Response.redirect). */
function withHeader(res: Response, name: string, value: string): Response {
  try {
    res.headers.set(name, value);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
}
