import { defineMiddleware, sequence } from 'astro:middleware';
import type { APIContext } from 'astro';
import { guessSessionUser, resolveSession, sessionCookieOptions } from './server/auth/service.ts';
import { SESSION_COOKIE } from './server/auth/session.ts';
import { AppError } from './server/errors.ts';
import { apiContract, isApiPath } from './server/http/api-contract.ts';
import { originCheck } from './server/http/origin-check.ts';
import { keepRendered, pageBasisOf } from './server/http/rendered-pages.ts';
import { describeError, errorResponse, watchBody } from './server/http/respond.ts';
import type { Lease } from './server/persistence/engine.ts';
import { isPersistenceError } from './server/persistence/errors.ts';
import { getRuntime } from './server/runtime.ts';
import { workspaceTarget } from './server/workspaces/context.ts';
import { getMyWorkspace, isWorkspaceId } from './server/workspaces/workspaces.ts';

/** Answer without the database: the adapter's readiness check and diagnostics. */
const OPERATIONS = new Set(['/healthz', '/version']);
/** Pages and API routes anyone may use; everything else needs a signed-in user. */
const PUBLIC = new Set(['/login', '/signup', '/api/signup', '/api/login', '/unavailable', '/404', '/500']);
/** Pages of the single-workspace releases, now under the personal workspace (old links keep working). */
const MOVED = /^\/(list|projects|tasks)(\/|$)/;

/** Every request: the runtime, the request id, no user or workspace yet. */
const context = defineMiddleware((ctx, next) => {
  ctx.locals.rt = getRuntime();
  ctx.locals.requestId = ctx.request.headers.get('x-request-id') ?? '';
  ctx.locals.user = null;
  ctx.locals.session = null;
  ctx.locals.workspace = null;
  ctx.locals.keep = { formTokens: [] };
  return next();
});

/** A page that may be answered again without rendering is kept once sent (server/http/rendered-pages.ts). */
const keepPages = defineMiddleware(async (ctx, next) => keepRendered(ctx, await next()));

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
 * Revalidates the directory — and, in parallel, the workspace the URL names — so the request sees
 * every write acknowledged before it arrived (one round trip of latency), then checks the session
 * cookie and the membership against the fresh directory. Operations endpoints skip it: they must
 * answer while the directory is still restoring.
 */
const identify = defineMiddleware(async (ctx, next) => {
  const path = pathOf(ctx.url);
  if (OPERATIONS.has(path)) return next();
  const { rt } = ctx.locals;
  const { engine } = rt;
  const arrivedAt = engine.now();
  const target = workspaceTarget(path);
  const token = ctx.cookies.get(SESSION_COOKIE)?.value;
  let early: Promise<Lease> | undefined;
  let lease: Lease | undefined;
  try {
    engine.directory.assertReady();
    // Start on the workspace at once when this instance's copy already says the user belongs to it;
    // the fresh directory decides below. Nobody else's workspace is ever downloaded.
    const guess = target?.needsObject ? guessSessionUser(rt, token) : null;
    const guessId = target && 'id' in target ? target.id : guess?.personalWorkspaceId;
    if (guess && guessId && isWorkspaceId(guessId)) {
      const member = engine.directory.read((db) => getMyWorkspace(db, guessId, guess.id) !== null);
      if (member) early = openFresh(guessId, arrivedAt);
    }
    await engine.directory.ensureFresh(arrivedAt);
    const session = resolveSession(rt, token);
    if (session) {
      ctx.locals.session = session;
      ctx.locals.user = session.user;
      if (session.refreshed) {
        const left = Math.max(60, Math.floor((Date.parse(session.expiresAt) - Date.now()) / 1000));
        ctx.cookies.set(
          SESSION_COOKIE,
          session.refreshed,
          sessionCookieOptions(rt, ctx.url, ctx.request, left),
        );
      }
    }
    const user = ctx.locals.user;
    const id = target && user ? ('id' in target ? target.id : user.personalWorkspaceId) : undefined;
    const ws =
      id && user && isWorkspaceId(id) ? engine.directory.read((db) => getMyWorkspace(db, id, user.id)) : null;
    if (ws && target) {
      let replica = null;
      if (target.needsObject) {
        lease = await (early && id === guessId ? early : openFresh(ws.id, arrivedAt));
        early = undefined;
        replica = lease.replica;
        // What a page reads, before it reads it: the page cache keeps a page only if it is the same after.
        const { session } = ctx.locals;
        if (ctx.request.method === 'GET' && !isApiPath(path) && session) {
          ctx.locals.keep.versions = pageBasisOf(engine.directory, replica, session.idHash, session.user.id);
        }
      }
      ctx.locals.workspace = { ...ws, replica };
    }
  } catch (err) {
    return failure(ctx, err, path);
  } finally {
    // A guess the fresh directory did not confirm: give its lease back whenever it arrives.
    early?.then(
      (l) => l.release(),
      () => {},
    );
  }
  if (!lease) return next();
  try {
    return releaseWhenSent(await next(), lease);
  } catch (err) {
    lease.release();
    throw err;
  }

  async function openFresh(id: string, at: number): Promise<Lease> {
    const l = await engine.workspace(id);
    try {
      await l.replica.ensureFresh(at);
      return l;
    } catch (err) {
      l.release();
      throw err;
    }
  }
});

/**
 * Pages and API routes that need a user get one or are turned away (401 for the API, the login page
 * for pages); a workspace the user does not belong to is a 404, exactly like one that does not
 * exist; links of the single-workspace releases lead into the personal workspace.
 */
const guard = defineMiddleware((ctx, next) => {
  const path = pathOf(ctx.url);
  if (OPERATIONS.has(path) || PUBLIC.has(path)) return next();
  const { rt, user } = ctx.locals;
  const isApi = isApiPath(path);
  if (!user) {
    if (isApi) return errorResponse(new AppError('unauthorized', 'Log in first.'), rt.log);
    if (path.startsWith('/_actions/')) return next();
    const target = `${ctx.url.pathname}${ctx.url.search}`;
    return ctx.redirect(target === '/' ? '/login' : `/login?next=${encodeURIComponent(target)}`, 303);
  }
  if (path === '/') return ctx.redirect(`/w/${user.personalWorkspaceId}/${ctx.url.search}`, 302);
  if (MOVED.test(path))
    return ctx.redirect(`/w/${user.personalWorkspaceId}${ctx.url.pathname}${ctx.url.search}`, 301);
  if (workspaceTarget(path) && !ctx.locals.workspace) {
    return notFound(ctx, isApi);
  }
  return next();
});

/**
 * Request hooks, outermost first. The API contract wraps everything after it, so even a refusal
 * from the origin check or the identify step is a JSON answer under /api/.
 */
export const onRequest = sequence(
  context,
  keepPages,
  privateCache,
  apiContract,
  originCheck,
  identify,
  guard,
);

function pathOf(url: URL): string {
  return url.pathname.replace(/\/+$/, '') || '/';
}

/** A workspace that does not exist, or that the user does not belong to: the same 404 either way. */
function notFound(ctx: APIContext, isApi: boolean): Response | Promise<Response> {
  if (isApi)
    return errorResponse(new AppError('not_found', 'That workspace was not found.'), ctx.locals.rt.log);
  return ctx.rewrite('/404');
}

/** Maps a failure before the route ran: a gone workspace is a 404, the rest the error contract or a 503 page. */
function failure(ctx: APIContext, err: unknown, path: string): Response | Promise<Response> {
  const { rt, requestId } = ctx.locals;
  const isApi = isApiPath(path);
  if (isPersistenceError(err) && err.code === 'gone' && workspaceTarget(path)) {
    return notFound(ctx, isApi);
  }
  if (isApi) return errorResponse(err, rt.log, { requestId, path });
  const known = describeError(err);
  if (!known) throw err;
  rt.log.warn('request failed', { requestId, path, status: known.status, err });
  return unavailablePage(known.body.error.message, known.status, known.headers);
}

/**
 * The response, with the workspace lease released once its body has been sent (or abandoned):
 * pages stream, and a copy must not be closed while the page that reads it is still rendering.
 */
function releaseWhenSent(res: Response, lease: Lease): Response {
  return watchBody(res, { onEnd: () => lease.release() });
}

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
