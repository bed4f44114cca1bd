import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { parseText } from '../text.ts';
import { endPosition, ORDERED, type Placement, parsePlacement, placeRow } from './positions.ts';
import { assertQuota, type WorkspaceQuota } from './quota.ts';

/**
 * A task's checklist: items with a text and a done flag, in the task's own order (positions.ts).
 * Every function takes the task id the item must belong to, so an item id of another task (or of
 * another workspace: ids are per workspace object) is simply not found.
 */

export const CHECKLIST_TEXT_MAX = 300;
/** Most items one task's checklist holds. */
export const CHECKLIST_MAX_ITEMS = 200;

export interface ChecklistItem {
  id: number;
  taskId: number;
  text: string;
  done: boolean;
  position: number;
  createdAt: string;
  updatedAt: string;
}

/** The clock (tests), the workspace's limits, and who is making the change (recorded on the task). */
export interface ChecklistWriteOptions {
  now?: Date;
  quota?: WorkspaceQuota;
  actor?: number;
}

export interface ChecklistInput {
  text?: string;
  done?: boolean;
  position?: Placement;
}

/** "2/5": how many of a task's items are done, of how many. */
export interface ChecklistProgress {
  done: number;
  total: number;
}

interface ItemRow {
  id: number;
  task_id: number;
  text: string;
  done: number;
  position: number;
  created_at: string;
  updated_at: string;
}

const SELECT = 'SELECT id, task_id, text, done, position, created_at, updated_at FROM checklist_items';

function toItem(r: ItemRow): ChecklistItem {
  return {
    id: r.id,
    taskId: r.task_id,
    text: r.text,
    done: r.done === 1,
    position: r.position,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Validates item fields from a form or JSON; `partial` for a PATCH. Throws AppError('invalid'). */
export function parseChecklistInput(
  raw: Record<string, unknown>,
  opts: { partial: boolean },
): ChecklistInput {
  const out: ChecklistInput = {};
  if (raw.text !== undefined || !opts.partial) {
    out.text = parseText(raw.text, {
      field: 'text',
      label: 'Checklist item',
      max: CHECKLIST_TEXT_MAX,
      trim: true,
      required: true,
    });
  }
  if (raw.done !== undefined) {
    if (typeof raw.done !== 'boolean')
      throw new AppError('invalid', 'Done must be true or false.', { field: 'done' });
    out.done = raw.done;
  }
  if (raw.position !== undefined) out.position = parsePlacement(raw.position);
  return out;
}

/** A task's items, in order. The task must exist (not_found otherwise). */
export function listChecklist(db: Db, taskId: number): ChecklistItem[] {
  assertTask(db, taskId);
  return (db.prepare(`${SELECT} WHERE task_id = ? ORDER BY position, id`).all(taskId) as ItemRow[]).map(
    toItem,
  );
}

export function getChecklistItem(db: Db, taskId: number, itemId: number): ChecklistItem {
  assertTask(db, taskId);
  const row = db.prepare(`${SELECT} WHERE id = ? AND task_id = ?`).get(itemId, taskId) as ItemRow | undefined;
  if (!row) throw new AppError('not_found', `Checklist item ${itemId} was not found on task ${taskId}.`);
  return toItem(row);
}

/** Adds an item (at the end unless `position` says otherwise), counting against the byte quota. */
export function addChecklistItem(
  db: Db,
  taskId: number,
  input: ChecklistInput,
  opts: ChecklistWriteOptions = {},
): ChecklistItem {
  assertTask(db, taskId);
  if (input.text === undefined)
    throw new AppError('invalid', 'Checklist item is required.', { field: 'text' });
  if (opts.quota) assertQuota(db, opts.quota, 'change');
  const { n } = db.prepare('SELECT count(*) AS n FROM checklist_items WHERE task_id = ?').get(taskId) as {
    n: number;
  };
  if (n >= CHECKLIST_MAX_ITEMS) {
    throw new AppError('quota_exceeded', `A checklist holds at most ${CHECKLIST_MAX_ITEMS} items.`, {
      field: 'text',
    });
  }
  const at = (opts.now ?? new Date()).toISOString();
  const { lastInsertRowid } = db
    .prepare(
      'INSERT INTO checklist_items (task_id, text, done, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(taskId, input.text, input.done ? 1 : 0, endPosition(db, ORDERED.checklist, taskId, 'last'), at, at);
  const id = Number(lastInsertRowid);
  if (input.position !== undefined && input.position !== 'last') {
    placeRow(db, ORDERED.checklist, taskId, id, input.position);
  }
  touchTask(db, taskId, at, opts.actor);
  return getChecklistItem(db, taskId, id);
}

/** Renames, checks or unchecks, or moves an item. A patch that changes nothing writes nothing. */
export function updateChecklistItem(
  db: Db,
  taskId: number,
  itemId: number,
  patch: ChecklistInput,
  opts: ChecklistWriteOptions = {},
): ChecklistItem {
  const item = getChecklistItem(db, taskId, itemId);
  const text = patch.text ?? item.text;
  const done = patch.done ?? item.done;
  const at = (opts.now ?? new Date()).toISOString();
  let changed = false;
  if (text !== item.text || done !== item.done) {
    if (opts.quota && text.length > item.text.length) assertQuota(db, opts.quota, 'change');
    db.prepare('UPDATE checklist_items SET text = ?, done = ?, updated_at = ? WHERE id = ?').run(
      text,
      done ? 1 : 0,
      at,
      itemId,
    );
    changed = true;
  }
  if (patch.position !== undefined) {
    placeRow(db, ORDERED.checklist, taskId, itemId, patch.position);
    changed = true;
  }
  if (changed) touchTask(db, taskId, at, opts.actor);
  return getChecklistItem(db, taskId, itemId);
}

export function deleteChecklistItem(
  db: Db,
  taskId: number,
  itemId: number,
  opts: ChecklistWriteOptions = {},
): ChecklistItem {
  const item = getChecklistItem(db, taskId, itemId);
  db.prepare('DELETE FROM checklist_items WHERE id = ?').run(itemId);
  touchTask(db, taskId, (opts.now ?? new Date()).toISOString(), opts.actor);
  return item;
}

/** Moves an item one place up or down (the no-JavaScript reorder buttons); at an end it stays. */
export function nudgeChecklistItem(
  db: Db,
  taskId: number,
  itemId: number,
  direction: 'up' | 'down',
  opts: ChecklistWriteOptions = {},
): void {
  const items = listChecklist(db, taskId);
  const i = items.findIndex((it) => it.id === itemId);
  if (i === -1) throw new AppError('not_found', `Checklist item ${itemId} was not found on task ${taskId}.`);
  const neighbour = items[direction === 'up' ? i - 1 : i + 1];
  if (!neighbour) return;
  updateChecklistItem(
    db,
    taskId,
    itemId,
    {
      position: direction === 'up' ? { before: neighbour.id } : { after: neighbour.id },
    },
    opts,
  );
}

function assertTask(db: Db, taskId: number): void {
  if (!db.prepare('SELECT 1 FROM tasks WHERE id = ?').get(taskId)) {
    throw new AppError('not_found', `Task ${taskId} was not found.`);
  }
}

/** A checklist change is a change to its task: "changed … ago" on the task page says so. */
function touchTask(db: Db, taskId: number, at: string, actor: number | undefined): void {
  db.prepare('UPDATE tasks SET updated_at = ?, updated_by = coalesce(?, updated_by) WHERE id = ?').run(
    at,
    actor ?? null,
    taskId,
  );
}
