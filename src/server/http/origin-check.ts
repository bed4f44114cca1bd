import type { MiddlewareHandler } from 'astro';
import { isApiPath } from './api-contract.ts';
import { json } from './respond.ts';

/** What a cross-site HTML form (or a fetch in `no-cors` mode) can send as its body. */
const FORM_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\s*(;|$)/i;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The only state-changing method a browser sends to another site without a CORS preflight. */
const SIMPLE_UNSAFE_METHOD = 'POST';

/**
 * True for a state-changing request that another site could have made a signed-in user's browser
 * send (CSRF). It replaces Astro's origin check (security.checkOrigin), which also refuses a
 * body-less DELETE from curl or a REST client.
 *
 * A browser sends cross-site, with cookies and without asking first, only GET, HEAD and POST with a
 * form-like body or none; anything else (DELETE, PATCH, JSON) needs a CORS preflight, which this
 * app never grants (OPTIONS is a 405). So a request is refused when it is not from this origin and
 * - it is a POST with a form-like body or none (whatever its Origin: a browser always sends one
 *   with a POST, so a missing one is not a reason to trust it), or
 * - it names another origin (or `null`): only a browser sends Origin, and no browser of ours may
 *   have sent this one.
 * A DELETE, PATCH or PUT without Origin comes from an API client, not a browser: accepted.
 */
export function isCrossSiteRequest(request: Request, url: URL): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const origin = request.headers.get('origin');
  if (origin === url.origin) return false;
  const type = request.headers.get('content-type');
  const formLike = type === null || FORM_TYPES.test(type);
  if (request.method === SIMPLE_UNSAFE_METHOD) return formLike;
  return origin !== null && formLike;
}

/** The middleware step: refuses cross-site requests (JSON under /api/, plain text elsewhere). */
export const originCheck: MiddlewareHandler = (ctx, next) => {
  if (!isCrossSiteRequest(ctx.request, ctx.url)) return next();
  ctx.locals.rt.log.warn('cross-site request refused', {
    requestId: ctx.locals.requestId,
    method: ctx.request.method,
    path: ctx.url.pathname,
    origin: ctx.request.headers.get('origin'),
  });
  const message = 'Cross-site requests that change data are refused. Send it from this site, or as JSON.';
  if (isApiPath(ctx.url.pathname)) return json({ error: { code: 'forbidden', message } }, 403);
  return new Response(message, { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
};
