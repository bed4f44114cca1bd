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

/** The request's JSON object body, within the configured size limit. */
export function readBody(ctx: APIContext): Promise<Record<string, unknown>> {
  return readJsonObject(ctx.request, ctx.locals.rt.config.bodyLimitBytes);
}

export function userIdOf(ctx: APIContext): number {
  return userOf(ctx).id;
}

export function userOf(ctx: APIContext): User {
  if (!ctx.locals.user) throw new AppError('unauthorized', 'Log in first.');
  return ctx.locals.user;
}
