import { AppError, isAppError } from '../../errors.ts';
import { buildExport, exportFileName } from '../../transfer/export.ts';
import { type ImportResult, runImport } from '../../transfer/import.ts';
import { ImportRejected } from '../../transfer/model.ts';
import { decodeImport, fileTooLarge, formatFromHints, parseImport } from '../../transfer/read-file.ts';
import { tasksCsv } from '../../transfer/tasks-csv.ts';
import { apiRoute, userOf } from '../api.ts';
import { fingerprintOf, idempotencyKeyOf } from '../idempotency.ts';
import { json, readBodyBytes } from '../respond.ts';

/** `GET /api/export` and `POST /api/import`: the account's data out and in (src/server/transfer/). */

/** GET ?format=json (default) | csv → the export as a download. */
export const exportRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const { rt } = ctx.locals;
  const format = ctx.url.searchParams.get('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') {
    throw new AppError('invalid', 'format must be json or csv.', { field: 'format' });
  }
  const now = new Date();
  const file = await buildExport(rt, user, rt.engine.now(), now);
  const body = format === 'csv' ? tasksCsv(file) : `${JSON.stringify(file, null, 2)}\n`;
  return new Response(body, {
    headers: {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${exportFileName(now, format)}"`,
      'Cache-Control': 'no-store',
    },
  });
});

/**
 * POST ?dryRun=1&workspace={wid}, the file as the body (application/json: an export; text/csv: a
 * CSV of tasks) → 201 with what was imported (a dry run: 200 with what would be); 400 `invalid`
 * or 409 `quota_exceeded` with `problems` (row by row), nothing changed. Exactly once per
 * Idempotency-Key.
 */
export const importRoute = apiRoute(async (ctx) => {
  const user = userOf(ctx);
  const { rt } = ctx.locals;
  const arrivedAt = rt.engine.now();
  const type = ctx.request.headers.get('content-type') ?? '';
  const format = formatFromHints(type, undefined);
  if (!format) {
    throw new AppError(
      'unsupported_media_type',
      'Send a Code Canvas export as application/json, or a CSV of tasks as text/csv.',
    );
  }
  const limit = rt.config.importLimitBytes;
  const bytes = await readBodyBytes(ctx.request, limit).catch((err: unknown) => {
    throw isAppError(err, 'payload_too_large') ? fileTooLarge(limit) : err;
  });
  const key = idempotencyKeyOf(ctx.request);
  const dryRun = ['1', 'true', 'yes'].includes(ctx.url.searchParams.get('dryRun') ?? '');
  const target = ctx.url.searchParams.get('workspace') || undefined;
  let result: ImportResult;
  try {
    const text = decodeImport(bytes, format);
    result = await runImport(rt, user, parseImport(text, format), {
      target,
      dryRun,
      arrivedAt,
      guard:
        key === undefined
          ? undefined
          : {
              scope: `${user.id}:api`,
              key,
              fingerprint: fingerprintOf('POST', `${ctx.url.pathname}${ctx.url.search}`, `${type}\n${text}`),
              ttlHours: rt.config.idempotencyTtlHours,
            },
    });
  } catch (err) {
    if (err instanceof ImportRejected) return rejection(err);
    throw err;
  }
  return json(result.summary, result.answer.status, result.replayed ? { 'Idempotent-Replayed': 'true' } : {});
});

/** The error body of the contract, with the problems row by row. */
function rejection(err: ImportRejected): Response {
  const status = err.code === 'quota_exceeded' ? 409 : 400;
  return json(
    { error: { code: err.code, message: err.message, field: 'file', problems: err.problems } },
    status,
  );
}
