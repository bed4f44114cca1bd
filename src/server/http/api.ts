import type { APIContext, APIRoute } from 'astro';
import type { User } from '../auth/users.ts';
import { AppError } from '../errors.ts';
import { errorResponse, readJsonObject } from './respond.ts';

/**
 * Wraps a JSON API handler: the one place its errors become responses. `ctx.locals.user` is
 * guaranteed by the middleware for every route but signup and login.
 */
export function apiRoute(fn: (ctx: APIContext) => Promise<Response> | Response): APIRoute {
  return async (ctx) => {
    try {
      return await fn(ctx);
    } catch (err) {
      return errorResponse(err, ctx.locals.rt.log, {
        requestId: ctx.locals.requestId,
        path: ctx.url.pathname,
      });
    }
  };
}

/** Bodies as they were sent, for requests that read theirs (an Idempotency-Key's fingerprint). */
const sentBodies = new WeakMap<Request, string>();

/** The request's JSON object body, within the configured size limit. */
export async function readBody(ctx: APIContext): Promise<Record<string, unknown>> {
  const { value, text } = await readJsonObject(ctx.request, ctx.locals.rt.config.bodyLimitBytes);
  sentBodies.set(ctx.request, text);
  return value;
}

/** The body `readBody` read, as text ('' for a request whose body was not read). */
export function sentBody(ctx: APIContext): string {
  return sentBodies.get(ctx.request) ?? '';
}

export function userIdOf(ctx: APIContext): number {
  return userOf(ctx).id;
}

export function userOf(ctx: APIContext): User {
  if (!ctx.locals.user) throw new AppError('unauthorized', 'Log in first.');
  return ctx.locals.user;
}
