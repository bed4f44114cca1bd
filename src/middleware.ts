import { defineMiddleware } from 'astro:middleware';
import { getSessionUser } from './server/auth/service.ts';
import { SESSION_COOKIE } from './server/auth/session.ts';
import { AppError } from './server/errors.ts';
import { describeError, errorResponse } from './server/http/respond.ts';
import { getRuntime } from './server/runtime.ts';

/** Answer without the database: the adapter's readiness check and diagnostics. */
const OPERATIONS = new Set(['/healthz', '/version']);
/** Pages and API routes anyone may use; everything else needs a signed-in user. */
const PUBLIC = new Set(['/login', '/signup', '/api/signup', '/api/login', '/unavailable', '/404', '/500']);

/**
 * Request hooks, in order: operations endpoints pass straight through; every other request first
 * makes sure this instance's database is at least as new as any write acknowledged before the
 * request arrived (one conditional GET, or none within CC_MAX_STALENESS_MS); then the signed
 * session cookie names the user; then pages and API routes that need a user get one or are turned away.
 */
export const onRequest = defineMiddleware(async (ctx, next) => {
  const rt = getRuntime();
  const arrivedAt = rt.engine.now();
  const path = ctx.url.pathname.replace(/\/+$/, '') || '/';
  ctx.locals.rt = rt;
  ctx.locals.requestId = ctx.request.headers.get('x-request-id') ?? '';
  ctx.locals.user = null;
  if (OPERATIONS.has(path)) return next();
  const isApi = path.startsWith('/api/');

  try {
    await rt.engine.ensureFresh(arrivedAt);
    ctx.locals.user = getSessionUser(rt, ctx.cookies.get(SESSION_COOKIE)?.value);
  } catch (err) {
    if (isApi) return errorResponse(err, rt.log, { requestId: ctx.locals.requestId, path });
    const known = describeError(err);
    if (!known) throw err;
    rt.log.warn('request failed', { requestId: ctx.locals.requestId, path, status: known.status, err });
    return unavailablePage(known.body.error.message, known.status, known.headers);
  }

  if (!ctx.locals.user && !PUBLIC.has(path)) {
    if (isApi) {
      return errorResponse(new AppError('unauthorized', 'Log in first.'), rt.log);
    }
    if (path.startsWith('/_actions/')) return next();
    const target = `${ctx.url.pathname}${ctx.url.search}`;
    return ctx.redirect(target === '/' ? '/login' : `/login?next=${encodeURIComponent(target)}`, 303);
  }
  return next();
});

/** A plain page for 503s raised before any page renders (no layout: the database may be what is missing). */
function unavailablePage(message: string, status: number, headers: Record<string, string>): Response {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Try again in a moment · Code Canvas</title><link rel="stylesheet" href="/error.css"></head><body><main><h1>Try again in a moment</h1><p>${escaped}</p><p><a href="">Reload</a></p></main></body></html>`;
  return new Response(html, {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}
