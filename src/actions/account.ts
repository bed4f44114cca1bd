import { type ActionAPIContext, defineAction } from 'astro:actions';
import { assertConfirmed, deleteAccount } from '../server/account/deletion.ts';
import { logChanged, parsePasswordChange, preparePasswordChange } from '../server/account/password.ts';
import type { CurrentSession } from '../server/auth/service.ts';
import { SESSION_COOKIE } from '../server/auth/session.ts';
import { AppError } from '../server/errors.ts';
import { formFields, runForm } from '../server/http/form.ts';
import { formLandedAt, formWrite } from '../server/http/form-once.ts';
import { previewImportForm, runImportForm } from '../server/transfer/form.ts';

/**
 * The account page's forms (src/pages/account.astro). Each works without JavaScript: it posts,
 * then the page redirects (303) or renders the form again with what went wrong.
 */
export const account = {
  changePassword: formAction(async (form, ctx) => {
    const session = requireSession(ctx);
    const { rt } = ctx.locals;
    const directory = rt.engine.directory;
    // Sent again after it went through: the current password it carries is no longer current.
    const landed = formLandedAt(ctx, form, 'changePassword', directory);
    if (landed) return landed;
    const job = await preparePasswordChange(rt, session, parsePasswordChange(formFields(form)));
    return formWrite(ctx, form, 'changePassword', directory, (db) => {
      const ended = job(db);
      logChanged(rt, session.user.id, ended);
      return `/account?password=changed&ended=${ended}#password`;
    });
  }),

  deleteAccount: formAction(async (form, ctx) => {
    const session = requireSession(ctx);
    assertConfirmed(form.get('email'), session.user);
    // The workspaces the page said would go (see deletion.ts): any other is a conflict.
    const announced = form.getAll('announced').filter((v): v is string => typeof v === 'string');
    await deleteAccount(ctx.locals.rt, session, announced);
    ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
    return '/login?deleted=1';
  }),

  previewImport: defineAction({ accept: 'form', handler: previewImportForm }),

  runImport: defineAction({ accept: 'form', handler: runImportForm }),
};

function formAction(body: (form: FormData, ctx: ActionAPIContext) => Promise<string>) {
  return defineAction({ accept: 'form', handler: (form, ctx) => runForm(form, () => body(form, ctx)) });
}

function requireSession(ctx: ActionAPIContext): CurrentSession {
  const session = ctx.locals.session;
  if (!session) throw new AppError('unauthorized', 'Your session has ended. Log in again.');
  return session;
}
