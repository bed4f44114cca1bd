import { pathsIn, withNotice, withUndo } from '../lib/urls.ts';
import { logIn, logOut, logOutEverywhere, signUp } from '../server/auth/service.ts';
import { SESSION_COOKIE } from '../server/auth/session.ts';
import { parseNewEmail } from '../server/auth/users.ts';
import { formFields, requireUser, safeReturnTo } from '../server/http/form.ts';
import { formLandedAt, formWrite } from '../server/http/form-once.ts';
import { clientOf, setSignInCookies } from '../server/http/sign-in.ts';
import { writeOptions } from '../server/http/write-options.ts';
import { parseLabelIds } from '../server/tasks/labels.ts';
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
import {
  deleteWorkspaceObject,
  discardWorkspaceObject,
  insertSharedWorkspace,
  prepareSharedWorkspace,
} from '../server/workspaces/service.ts';
import {
  deleteWorkspaceRow,
  parseWorkspaceName,
  removeMember,
  renameWorkspace,
} from '../server/workspaces/workspaces.ts';
import { account } from './account.ts';
import { boardActions } from './board.ts';
import { formAction, withoutEmpty } from './form-action.ts';

/**
 * Every mutation the pages make, as form actions (they work without JavaScript: POST, then a 303
 * to the page to show). Each returns a FormResult; see src/server/http/form.ts. Task and project
 * actions work in the workspace of the page they are posted to (the middleware resolved it from the
 * URL and checked the user belongs to it). Every action that changes data writes through
 * formWrite: its form's one-time token makes it exactly-once, and a second submission lands where
 * the first one did (src/server/http/form-once.ts).
 */
export const server = {
  ...account,

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
    const input = parseTaskInput(taskFields(form), { partial: false });
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).board());
    return formWrite(ctx, form, 'createTask', ws.replica, (db) => {
      const task = createTask(db, user.id, input, writeOptions(ctx.locals.rt));
      return withNotice(back, 'added', task.id);
    });
  }),

  updateTask: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    // A form always sends every field: an empty due date means "no due date".
    const input = parseTaskInput(taskFields(form), { partial: true });
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).board());
    return formWrite(ctx, form, 'updateTask', ws.replica, (db) => {
      updateTask(db, user.id, id, input, writeOptions(ctx.locals.rt));
      return withNotice(back, 'saved', id);
    });
  }),

  moveTask: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const { id, status } = parseMove(form);
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).board());
    return formWrite(ctx, form, 'moveTask', ws.replica, (db) => {
      updateTask(db, user.id, id, { status }, writeOptions(ctx.locals.rt));
      return withNotice(back, 'moved', id);
    });
  }),

  deleteTask: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).board());
    const { undoSeconds } = writeOptions(ctx.locals.rt);
    return formWrite(ctx, form, 'deleteTask', ws.replica, (db) => {
      const entry = deleteTask(db, user.id, id, { undoSeconds });
      return withUndo(back, entry.id);
    });
  }),

  createProject: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const name = parseProjectName(form.get('name'));
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).projects());
    return formWrite(ctx, form, 'createProject', ws.replica, (db) => {
      createProject(db, name, { quota: ctx.locals.rt.config.quota });
      return back;
    });
  }),

  renameProject: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    const name = parseProjectName(form.get('name'));
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).projects());
    return formWrite(ctx, form, 'renameProject', ws.replica, (db) => {
      renameProject(db, id, name);
      return back;
    });
  }),

  deleteProject: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).projects());
    const { undoSeconds } = writeOptions(ctx.locals.rt);
    return formWrite(ctx, form, 'deleteProject', ws.replica, (db) => {
      const entry = deleteProject(db, user.id, id, { undoSeconds });
      return withUndo(back, entry.id);
    });
  }),

  createWorkspace: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const { rt } = ctx.locals;
    const name = parseWorkspaceName(form.get('name'));
    // A second submission that this instance already sees answered makes no new object.
    const landed = formLandedAt(ctx, form, 'createWorkspace', rt.engine.directory);
    if (landed) return landed;
    const id = await prepareSharedWorkspace(rt, user);
    try {
      return await formWrite(ctx, form, 'createWorkspace', rt.engine.directory, (db) => {
        insertSharedWorkspace(db, rt, user, id, name);
        return pathsIn(id).board();
      });
    } catch (err) {
      discardWorkspaceObject(rt, id, err);
      throw err;
    }
  }),

  renameWorkspace: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const name = parseWorkspaceName(form.get('name'));
    return formWrite(ctx, form, 'renameWorkspace', ctx.locals.rt.engine.directory, (db) => {
      renameWorkspace(db, ws.id, user.id, name);
      return `${pathsIn(ws.id).settings()}?saved=1`;
    });
  }),

  deleteWorkspace: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const landed = await formWrite(ctx, form, 'deleteWorkspace', ctx.locals.rt.engine.directory, (db) => {
      deleteWorkspaceRow(db, ws.id, user.id);
      return '/workspaces?deleted=1';
    });
    await deleteWorkspaceObject(ctx.locals.rt, ws.id);
    return landed;
  }),

  invite: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const email = parseNewEmail(form.get('email'));
    return formWrite(ctx, form, 'invite', ctx.locals.rt.engine.directory, (db) => {
      createInvitation(db, ws.id, user.id, email);
      return `${pathsIn(ws.id).members()}?invited=${encodeURIComponent(email)}`;
    });
  }),

  revokeInvitation: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const id = String(form.get('id') ?? '');
    return formWrite(ctx, form, 'revokeInvitation', ctx.locals.rt.engine.directory, (db) => {
      revokeInvitation(db, ws.id, id, user.id);
      return pathsIn(ws.id).members();
    });
  }),

  removeMember: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspace(ctx.locals);
    const target = parseId(form.get('userId'), 'userId');
    return formWrite(ctx, form, 'removeMember', ctx.locals.rt.engine.directory, (db) => {
      removeMember(db, ws.id, user.id, target);
      // Leaving: the workspace is no longer yours to look at.
      return target === user.id ? '/workspaces?left=1' : pathsIn(ws.id).members();
    });
  }),

  acceptInvitation: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const id = String(form.get('id') ?? '');
    return formWrite(ctx, form, 'acceptInvitation', ctx.locals.rt.engine.directory, (db) => {
      const ws = acceptInvitation(db, id, user);
      return pathsIn(ws.id).board();
    });
  }),

  declineInvitation: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const id = String(form.get('id') ?? '');
    const back = safeReturnTo(form.get('returnTo'), '/workspaces');
    return formWrite(ctx, form, 'declineInvitation', ctx.locals.rt.engine.directory, (db) => {
      declineInvitation(db, id, user);
      return back;
    });
  }),

  ...boardActions,
};

/**
 * Which task goes where: the board's shared move form sends one `move=ID:STATUS` from the button
 * pressed; `id` and `status` fields are still read, for a page rendered before that form existed.
 */
function parseMove(form: FormData): { id: number; status: (typeof STATUSES)[number] } {
  const move = form.get('move');
  const [id, status] = typeof move === 'string' ? move.split(':', 2) : [form.get('id'), form.get('status')];
  return { id: parseId(id, 'id'), status: parseEnum(status, STATUSES, 'status') };
}

/**
 * A task form's fields for parseTaskInput: a project left on "Inbox" dropped, and the labels (one
 * checkbox each, so repeated fields) as a list, when the form shows them (`labelsShown`: with
 * every box unchecked a form sends no `labels` at all, which must still mean "none").
 */
function taskFields(form: FormData): Record<string, unknown> {
  const fields: Record<string, unknown> = withoutEmpty(formFields(form), ['projectId']);
  delete fields.labels;
  delete fields.labelsShown;
  if (form.get('labelsShown') === '1') fields.labels = parseLabelIds(form.getAll('labels'));
  return fields;
}
