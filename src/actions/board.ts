import { pathsIn, withNotice } from '../lib/urls.ts';
import { formFields, requireUser, safeReturnTo } from '../server/http/form.ts';
import { formWrite } from '../server/http/form-once.ts';
import { writeOptions } from '../server/http/write-options.ts';
import {
  addChecklistItem,
  deleteChecklistItem,
  listChecklist,
  nudgeChecklistItem,
  parseChecklistInput,
  updateChecklistItem,
} from '../server/tasks/checklist.ts';
import { createLabel, deleteLabel, parseLabelInput, updateLabel } from '../server/tasks/labels.ts';
import { nudgeTask } from '../server/tasks/tasks.ts';
import { restoreTrash } from '../server/tasks/trash.ts';
import { parseEnum, parseId } from '../server/tasks/validation.ts';
import { requireWorkspaceDb } from '../server/workspaces/context.ts';
import { formAction } from './form-action.ts';

/**
 * The actions of the board's everyday features: Undo after a delete, ordering a card from its
 * page, the checklist, and the workspace's labels. Like every action they work without
 * JavaScript (POST, then a 303) and write once per form token (formWrite).
 */
export const boardActions = {
  /** Undo a delete: `trash` (the entry), `kind` and `itemId` (what the button said it restores). */
  undoDelete: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('trash'), 'trash');
    const kind = parseEnum(form.get('kind'), ['task', 'project'] as const, 'kind');
    const itemId = parseId(form.get('itemId'), 'itemId');
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).board());
    const { undoSeconds } = writeOptions(ctx.locals.rt);
    return formWrite(ctx, form, 'undoDelete', ws.replica, (db) => {
      const restored = restoreTrash(db, id, undoSeconds, { expect: { kind, itemId } });
      if (restored.kind === 'task') return withNotice(back, 'restored', restored.taskId);
      return `${pathsIn(ws.id).projects()}#project-${restored.projectId}`;
    });
  }),

  /** The task page's order buttons: `place` is first, up, down or last within its column. */
  placeTask: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    const place = parseEnum(form.get('place'), ['first', 'up', 'down', 'last'] as const, 'place');
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).task(id));
    return formWrite(ctx, form, 'placeTask', ws.replica, (db) => {
      nudgeTask(db, user.id, id, place, writeOptions(ctx.locals.rt));
      return withFragment(back, 'order');
    });
  }),

  addChecklistItem: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const taskId = parseId(form.get('taskId'), 'taskId');
    const input = parseChecklistInput({ text: form.get('text') ?? undefined }, { partial: false });
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).task(taskId));
    return formWrite(ctx, form, 'addChecklistItem', ws.replica, (db) => {
      addChecklistItem(db, taskId, input, { quota: ctx.locals.rt.config.quota, actor: user.id });
      // Back in the field for the next item: no fragment, since a page opened at a fragment
      // skips autofocus (the HTML spec), and the focused field scrolls into view by itself.
      return withParam(back, 'checklist', 'added');
    });
  }),

  /** The checklist's boxes, saved together (without JavaScript): `item` lists them, `done` the checked ones. */
  saveChecklist: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const taskId = parseId(form.get('taskId'), 'taskId');
    const shown = form.getAll('item').map((v) => parseId(v, 'item'));
    const done = new Set(form.getAll('done').map((v) => parseId(v, 'done')));
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).task(taskId));
    return formWrite(ctx, form, 'saveChecklist', ws.replica, (db) => {
      const items = new Map(listChecklist(db, taskId).map((it) => [it.id, it]));
      for (const id of shown) {
        const item = items.get(id);
        // An item deleted meanwhile (another tab, another member) is simply gone.
        if (item && item.done !== done.has(id)) {
          updateChecklistItem(db, taskId, id, { done: done.has(id) }, { actor: user.id });
        }
      }
      return withFragment(back, 'checklist');
    });
  }),

  /** One item's own buttons: `op` is rename (with `text`), up, down or delete. */
  editChecklistItem: formAction(async (form, ctx) => {
    const user = requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const taskId = parseId(form.get('taskId'), 'taskId');
    const itemId = parseId(form.get('itemId'), 'itemId');
    const op = parseEnum(form.get('op'), ['rename', 'up', 'down', 'delete'] as const, 'op');
    const text =
      op === 'rename'
        ? parseChecklistInput({ text: form.get('text') ?? undefined }, { partial: false }).text
        : undefined;
    const back = safeReturnTo(form.get('returnTo'), pathsIn(ws.id).task(taskId));
    const opts = { quota: ctx.locals.rt.config.quota, actor: user.id };
    return formWrite(ctx, form, 'editChecklistItem', ws.replica, (db) => {
      if (op === 'delete') deleteChecklistItem(db, taskId, itemId, opts);
      else if (op === 'rename') updateChecklistItem(db, taskId, itemId, { text }, opts);
      else nudgeChecklistItem(db, taskId, itemId, op, opts);
      return withFragment(back, 'checklist');
    });
  }),

  createLabel: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const input = parseLabelInput(formFields(form), { partial: false });
    return formWrite(ctx, form, 'createLabel', ws.replica, (db) => {
      const label = createLabel(db, input, { quota: ctx.locals.rt.config.quota });
      return `${pathsIn(ws.id).labels()}#label-${label.id}`;
    });
  }),

  updateLabel: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    const patch = parseLabelInput(formFields(form), { partial: true });
    return formWrite(ctx, form, 'updateLabel', ws.replica, (db) => {
      updateLabel(db, id, patch);
      return `${pathsIn(ws.id).labels()}#label-${id}`;
    });
  }),

  deleteLabel: formAction(async (form, ctx) => {
    requireUser(ctx);
    const ws = requireWorkspaceDb(ctx.locals);
    const id = parseId(form.get('id'), 'id');
    return formWrite(ctx, form, 'deleteLabel', ws.replica, (db) => {
      deleteLabel(db, id);
      return pathsIn(ws.id).labels();
    });
  }),
};

function withFragment(path: string, fragment: string): string {
  return `${path.split('#', 1)[0]}#${fragment}`;
}

function withParam(path: string, name: string, value: string): string {
  const [pathname = '/', query = ''] = path.split('#', 1)[0]?.split('?', 2) ?? [];
  const params = new URLSearchParams(query);
  params.set(name, value);
  return `${pathname}?${params.toString()}`;
}
