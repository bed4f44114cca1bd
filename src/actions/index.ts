import { type ActionAPIContext, defineAction } from 'astro:actions';
import { logIn, logOut, logOutEverywhere, signUp } from '../server/auth/service.ts';
import { SESSION_COOKIE } from '../server/auth/session.ts';
import { parseNewEmail } from '../server/auth/users.ts';
import { formFields, requireUser, runForm, safeReturnTo } from '../server/http/form.ts';
import { clientOf, setSignInCookies } from '../server/http/sign-in.ts';
import { createProject, deleteProject, renameProject } from '../server/tasks/projects.ts';
import { createTask, deleteTask, updateTask } from '../server/tasks/tasks.ts';
import {
  parseEnum,
  parseId,
  parseProjectName,
  parseTaskInput,
  STATUSES,
} from '../server/tasks/validation.ts';
import { requireWorkspace, requireWorkspaceDb } from '../server/workspaces/context.ts';
import {
  acceptInvitation,
  createInvitation,
  declineInvitation,
  revokeInvitation,
} from '../server/workspaces/invitations.ts';
import { createWorkspace, deleteWorkspace } from '../server/workspaces/service.ts';
import { parseWorkspaceName, removeMember, renameWorkspace } from '../server/workspaces/workspaces.ts';

/**
 * Every mutation the pages make, as form actions (they work without JavaScript: POST, then a 303
 * to the page to show). Each returns a FormResult; see src/server/http/form.ts. Task and project
 * actions work in the workspace of the page they are posted to (the middleware resolved it from the
 * URL and checked the user belongs to it).
 */
export const server = {
  signup: formAction(async (form, ctx) => {
    setSignInCookies(ctx, await signUp(ctx.locals.rt, clientOf(ctx), formFields(form)));
    return safeReturnTo(form.get('next'), '/');
  }),

  login: formAction(async (form, ctx) => {
    setSignInCookies(ctx, await logIn(ctx.locals.rt, clientOf(ctx), formFields(form)));
    return safeReturnTo(form.get('next'), '/');
  }),

  logout: formAction(async (_form, ctx) => {
    await logOut(ctx.locals.rt, ctx.locals.session);
    ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
    return '/login';
  }),

  logoutEverywhere: formAction(async (_form, ctx) => {
    requireUser(ctx);
    if (ctx.locals.session) await logOutEverywhere(ctx.locals.rt, ctx.locals.session);
    ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
    return '/login';
  }),

  createTask: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const input = parseTaskInput(withoutEmpty(formFields(form), ['projectId']), { partial: false });
    await ws.replica.write((db) => createTask(db, user.id, input, { quota: ctx.locals.rt.config.quota }));
    return safeReturnTo(form.get('returnTo'), `/w/${ws.id}/`);
  }),

  updateTask: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    // A form always sends every field: an empty due date means "no due date".
    const input = parseTaskInput(withoutEmpty(formFields(form), ['projectId']), { partial: true });
    await ws.replica.write((db) => updateTask(db, user.id, id, input, { quota: ctx.locals.rt.config.quota }));
    return safeReturnTo(form.get('returnTo'), `/w/${ws.id}/`);
  }),

  moveTask: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    const status = parseEnum(form.get('status'), STATUSES, 'status');
    await ws.replica.write((db) => updateTask(db, user.id, id, { status }));
    return safeReturnTo(form.get('returnTo'), `/w/${ws.id}/`);
  }),

  deleteTask: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    await ws.replica.write((db) => deleteTask(db, id));
    return safeReturnTo(form.get('returnTo'), `/w/${ws.id}/`);
  }),

  createProject: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const name = parseProjectName(form.get('name'));
    await ws.replica.write((db) => createProject(db, name, { quota: ctx.locals.rt.config.quota }));
    return safeReturnTo(form.get('returnTo'), `/w/${ws.id}/projects`);
  }),

  renameProject: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    const name = parseProjectName(form.get('name'));
    await ws.replica.write((db) => renameProject(db, id, name));
    return safeReturnTo(form.get('returnTo'), `/w/${ws.id}/projects`);
  }),

  deleteProject: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    await ws.replica.write((db) => deleteProject(db, id));
    return safeReturnTo(form.get('returnTo'), `/w/${ws.id}/projects`);
  }),

  createWorkspace: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const name = parseWorkspaceName(form.get('name'));
    const ws = await createWorkspace(ctx.locals.rt, user, name);
    return `/w/${ws.id}/`;
  }),

  renameWorkspace: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const name = parseWorkspaceName(form.get('name'));
    await ctx.locals.rt.engine.directory.write((db) => renameWorkspace(db, ws.id, user.id, name));
    return `/w/${ws.id}/settings?saved=1`;
  }),

  deleteWorkspace: formAction(async (_form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    await deleteWorkspace(ctx.locals.rt, user, ws.id);
    return '/workspaces?deleted=1';
  }),

  invite: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const email = parseNewEmail(form.get('email'));
    await ctx.locals.rt.engine.directory.write((db) => createInvitation(db, ws.id, user.id, email));
    return `/w/${ws.id}/members?invited=${encodeURIComponent(email)}`;
  }),

  revokeInvitation: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const id = String(form.get('id') ?? '');
    await ctx.locals.rt.engine.directory.write((db) => revokeInvitation(db, ws.id, id, user.id));
    return `/w/${ws.id}/members`;
  }),

  removeMember: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const target = parseId(form.get('userId'), 'userId');
    await ctx.locals.rt.engine.directory.write((db) => removeMember(db, ws.id, user.id, target));
    // Leaving: the workspace is no longer yours to look at.
    return target === user.id ? '/workspaces?left=1' : `/w/${ws.id}/members`;
  }),

  acceptInvitation: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const id = String(form.get('id') ?? '');
    const ws = await ctx.locals.rt.engine.directory.write((db) => acceptInvitation(db, id, user));
    return `/w/${ws.id}/`;
  }),

  declineInvitation: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const id = String(form.get('id') ?? '');
    await ctx.locals.rt.engine.directory.write((db) => declineInvitation(db, id, user));
    return safeReturnTo(form.get('returnTo'), '/workspaces');
  }),
};

/**
 * A form action whose body returns the path to redirect to; expected errors become a failed
 * FormResult that the page renders next to the fields (see runForm).
 */
function formAction(body: (form: FormData, ctx: ActionAPIContext) => Promise<string>) {
  return defineAction({ accept: 'form', handler: (form, ctx) => runForm(form, () => body(form, ctx)) });
}

/** Drops keys whose value is '' (a select left on "any"/"Inbox"). */
function withoutEmpty(fields: Record<string, string>, keys: string[]): Record<string, string> {
  const out = { ...fields };
  for (const k of keys) if (out[k] === '') delete out[k];
  return out;
}
