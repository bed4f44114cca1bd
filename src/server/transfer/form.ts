import type { ActionAPIContext } from 'astro:actions';
import { AppError, isAppError } from '../errors.ts';
import { requireUser } from '../http/form.ts';
import { formGuard, ONCE_FIELD } from '../http/form-once.ts';
import { describeError } from '../http/respond.ts';
import { runImport } from './import.ts';
import { ImportRejected, type Problem } from './model.ts';
import { type PreviewWorkspace, previewOf } from './preview.ts';
import { decodeImport, fileTooLarge, formatFromHints, type ImportFormat, parseImport } from './read-file.ts';

/**
 * The account page's import, without JavaScript: the file is posted to be previewed (a dry run);
 * the preview carries its text back in a hidden field with a one-time token, and confirming posts
 * that to be imported — once per token, however often the form is sent.
 */

/** What the page needs to confirm a previewed import (sent back in hidden fields). */
export interface ImportDraft {
  content: string;
  format: ImportFormat;
  filename: string;
  /** '' for "as the file says", else a workspace id. */
  target: string;
}

export type ImportFormResult =
  | { ok: true; redirect: string }
  | { ok: true; draft: ImportDraft; preview: PreviewWorkspace[]; ignoredColumns: string[] }
  | {
      ok: false;
      status: number;
      message: string;
      problems: Problem[];
      /** Present when the same import may simply be sent again (nothing was wrong with the file). */
      draft?: ImportDraft;
      /** The token of the failed confirmation, to send again with it (it may have landed). */
      once?: string;
    };

/** Reads the posted file (`file`) or, when confirming, the previewed text (`content`). */
async function draftOf(form: FormData, limit: number): Promise<ImportDraft> {
  const target = String(form.get('target') ?? '');
  const file = form.get('file');
  if (file instanceof File && file.size > 0) {
    if (file.size > limit) throw fileTooLarge(limit);
    const format = formatFromHints(file.type, file.name);
    const content = decodeImport(new Uint8Array(await file.arrayBuffer()), format);
    return {
      content,
      format: format ?? (content.trimStart().startsWith('{') ? 'json' : 'csv'),
      filename: file.name,
      target,
    };
  }
  const content = form.get('content');
  if (typeof content !== 'string' || content === '') {
    throw new AppError('invalid', 'Choose a file to import.', { field: 'file' });
  }
  if (content.length > limit) throw fileTooLarge(limit);
  const format = form.get('format') === 'json' ? 'json' : 'csv';
  return { content, format, filename: String(form.get('filename') ?? ''), target };
}

/** The preview action: a dry run of the posted file. */
export async function previewImportForm(form: FormData, ctx: ActionAPIContext): Promise<ImportFormResult> {
  return settle(async () => {
    const user = requireUser(ctx);
    const { rt } = ctx.locals;
    const draft = await draftOf(form, rt.config.importLimitBytes);
    const parsed = parseImport(draft.content, draft.format);
    const result = await runImport(rt, user, parsed, {
      target: draft.target || undefined,
      dryRun: true,
      guard: undefined,
      arrivedAt: rt.engine.now(),
    });
    return {
      ok: true,
      draft,
      preview: result.plan ? previewOf(result.summary, result.plan) : [],
      ignoredColumns: parsed.ignoredColumns,
    };
  });
}

/** The confirm action: the previewed text, imported once per the form's token; lands on the account page. */
export async function runImportForm(form: FormData, ctx: ActionAPIContext): Promise<ImportFormResult> {
  let draft: ImportDraft | undefined;
  const once = typeof form.get(ONCE_FIELD) === 'string' ? String(form.get(ONCE_FIELD)) : undefined;
  return settle(
    async () => {
      const user = requireUser(ctx);
      const { rt } = ctx.locals;
      draft = await draftOf(form, rt.config.importLimitBytes);
      const parsed = parseImport(draft.content, draft.format);
      const guard = formGuard(ctx, form, 'runImport');
      const options = {
        target: draft.target || undefined,
        dryRun: false,
        guard,
        arrivedAt: rt.engine.now(),
        landing: (s: { totals: { tasks: number }; workspaces: { id: string | null }[] }) =>
          `/account?imported=${s.totals.tasks}&into=${s.workspaces.map((w) => w.id).join('.')}#import`,
      };
      // A second click while the first is still being saved: wait for it, then land where it did.
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await runImport(rt, user, parsed, options);
          return { ok: true, redirect: result.answer.location ?? '/account#import' };
        } catch (err) {
          if (!isAppError(err, 'idempotency_key_in_use') || attempt >= 100) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    () => ({ draft, once }),
  );
}

/** Expected errors become a failed result with the problems; a file that was fine can be sent again. */
async function settle(
  run: () => Promise<ImportFormResult>,
  retry: () => { draft?: ImportDraft | undefined; once?: string | undefined } = () => ({}),
): Promise<ImportFormResult> {
  try {
    return await run();
  } catch (err) {
    const known = describeError(err);
    if (!known) throw err;
    const problems = err instanceof ImportRejected ? err.problems : [];
    const again = retry();
    const resend = known.status >= 500 || known.status === 409 ? again : {};
    return {
      ok: false,
      status: known.status,
      message: known.body.error.message,
      problems,
      ...(resend.draft && problems.length === 0 ? { draft: resend.draft } : {}),
      ...(resend.once ? { once: resend.once } : {}),
    };
  }
}
