import { type ActionAPIContext, defineAction } from 'astro:actions';
import { withNotice } from '../lib/urls.ts';
import { clientIp, logIn, sessionCookieOptions, signUp } from '../server/auth/service.ts';
import { SESSION_COOKIE } from '../server/auth/session.ts';
import { formFields, requireUserId, runForm, safeReturnTo } from '../server/http/form.ts';
import { createProject, deleteProject, renameProject } from '../server/tasks/projects.ts';
import { createTask, deleteTask, updateTask } from '../server/tasks/tasks.ts';
import {
  parseEnum,
  parseId,
  parseProjectName,
  parseTaskInput,
  STATUSES,
} from '../server/tasks/validation.ts';

/**
 * Every mutation the pages make, as form actions (they work without JavaScript: POST, then a 303
 * to the page to show). Each returns a FormResult; see src/server/http/form.ts.
 */
export const server = {
  signup: formAction(async (form, ctx) => {
    const { token } = await signUp(ctx.locals.rt, formFields(form));
    ctx.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(ctx.locals.rt, ctx.url, ctx.request));
    return safeReturnTo(form.get('next'), '/');
  }),

  login: formAction(async (form, ctx) => {
    const ip = clientIp(ctx.request, ctx.clientAddress);
    const { token } = await logIn(ctx.locals.rt, ip, formFields(form));
    ctx.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(ctx.locals.rt, ctx.url, ctx.request));
    return safeReturnTo(form.get('next'), '/');
  }),

  logout: formAction(async (_form, ctx) => {
    ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
    return '/login';
  }),

  createTask: formAction(async (form, ctx) => {
    const userId = requireUserId(ctx);
    const input = parseTaskInput(withoutEmpty(formFields(form), ['projectId']), { partial: false });
    const task = await ctx.locals.rt.engine.write((db) => createTask(db, userId, input));
    return withNotice(safeReturnTo(form.get('returnTo'), '/'), 'added', task.id);
  }),

  updateTask: formAction(async (form, ctx) => {
    const userId = requireUserId(ctx);
    const id = parseId(form.get('id'), 'id');
    const fields = formFields(form);
    // A form always sends every field: an empty due date means "no due date".
    const input = parseTaskInput(withoutEmpty(fields, ['projectId']), { partial: true });
    await ctx.locals.rt.engine.write((db) => updateTask(db, userId, id, input));
    return withNotice(safeReturnTo(form.get('returnTo'), '/'), 'saved', id);
  }),

  moveTask: formAction(async (form, ctx) => {
    const userId = requireUserId(ctx);
    const { id, status } = parseMove(form);
    await ctx.locals.rt.engine.write((db) => updateTask(db, userId, id, { status }));
    return withNotice(safeReturnTo(form.get('returnTo'), '/'), 'moved', id);
  }),

  deleteTask: formAction(async (form, ctx) => {
    const userId = requireUserId(ctx);
    const id = parseId(form.get('id'), 'id');
    await ctx.locals.rt.engine.write((db) => deleteTask(db, userId, id));
    return safeReturnTo(form.get('returnTo'), '/');
  }),

  createProject: formAction(async (form, ctx) => {
    const userId = requireUserId(ctx);
    const name = parseProjectName(form.get('name'));
    await ctx.locals.rt.engine.write((db) => createProject(db, userId, name));
    return safeReturnTo(form.get('returnTo'), '/projects');
  }),

  renameProject: formAction(async (form, ctx) => {
    const userId = requireUserId(ctx);
    const id = parseId(form.get('id'), 'id');
    const name = parseProjectName(form.get('name'));
    await ctx.locals.rt.engine.write((db) => renameProject(db, userId, id, name));
    return safeReturnTo(form.get('returnTo'), '/projects');
  }),

  deleteProject: formAction(async (form, ctx) => {
    const userId = requireUserId(ctx);
    const id = parseId(form.get('id'), 'id');
    await ctx.locals.rt.engine.write((db) => deleteProject(db, userId, id));
    return safeReturnTo(form.get('returnTo'), '/projects');
  }),
};

/**
 * A form action whose body returns the path to redirect to; expected errors become a failed
 * FormResult that the page renders next to the fields (see runForm).
 */
function formAction(body: (form: FormData, ctx: ActionAPIContext) => Promise<string>) {
  return defineAction({ accept: 'form', handler: (form, ctx) => runForm(form, () => body(form, ctx)) });
}

/**
 * Which task goes where: the board's shared move form sends one `move=ID:STATUS` from the button
 * pressed; `id` and `status` fields are still read, for a page rendered before that form existed.
 */
function parseMove(form: FormData): { id: number; status: (typeof STATUSES)[number] } {
  const move = form.get('move');
  const [id, status] = typeof move === 'string' ? move.split(':', 2) : [form.get('id'), form.get('status')];
  return { id: parseId(id, 'id'), status: parseEnum(status, STATUSES, 'status') };
}

/** Drops keys whose value is '' (a select left on "any"/"Inbox"). */
function withoutEmpty(fields: Record<string, string>, keys: string[]): Record<string, string> {
  const out = { ...fields };
  for (const k of keys) if (out[k] === '') delete out[k];
  return out;
}
