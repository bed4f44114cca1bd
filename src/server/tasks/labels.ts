import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { parseText } from '../text.ts';
import { assertQuota, type WorkspaceQuota } from './quota.ts';

/**
 * A workspace's labels: a name (unique in the workspace, ignoring case) and one colour of a fixed
 * palette. A card always shows a label's name as text, so colour is never the only signal; the
 * palette's colours all keep 4.5:1 contrast for that text (src/styles/labels.css).
 */

export const LABEL_COLORS = [
  'gray',
  'red',
  'orange',
  'yellow',
  'green',
  'teal',
  'blue',
  'purple',
  'pink',
] as const;
export type LabelColor = (typeof LABEL_COLORS)[number];
export const LABEL_COLOR_NAME: Record<LabelColor, string> = {
  gray: 'Gray',
  red: 'Red',
  orange: 'Orange',
  yellow: 'Yellow',
  green: 'Green',
  teal: 'Teal',
  blue: 'Blue',
  purple: 'Purple',
  pink: 'Pink',
};
export const LABEL_NAME_MAX = 40;
/** Most labels one task carries: enough for any real use, small enough for a card. */
export const LABELS_PER_TASK = 20;

/** A label as a task carries it. */
export interface TaskLabel {
  id: number;
  name: string;
  color: LabelColor;
}

export interface Label extends TaskLabel {
  /** How many of the workspace's tasks carry it. */
  taskCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface LabelInput {
  name?: string;
  color?: LabelColor;
}

interface LabelRow {
  id: number;
  name: string;
  color: LabelColor;
  task_count: number;
  created_at: string;
  updated_at: string;
}

const SELECT = `
  SELECT l.id, l.name, l.color, l.created_at, l.updated_at,
         (SELECT count(*) FROM task_labels tl WHERE tl.label_id = l.id) AS task_count
  FROM labels l`;

function toLabel(r: LabelRow): Label {
  return {
    id: r.id,
    name: r.name,
    color: r.color,
    taskCount: r.task_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Validates label fields from a form or JSON; `partial` for a PATCH. Throws AppError('invalid'). */
export function parseLabelInput(raw: Record<string, unknown>, opts: { partial: boolean }): LabelInput {
  const out: LabelInput = {};
  if (raw.name !== undefined || !opts.partial) {
    out.name = parseText(raw.name, {
      field: 'name',
      label: 'Label name',
      max: LABEL_NAME_MAX,
      trim: true,
      required: true,
    });
  }
  if (raw.color !== undefined || !opts.partial) {
    const color = raw.color ?? 'gray';
    if (typeof color !== 'string' || !LABEL_COLORS.includes(color as LabelColor)) {
      throw new AppError('invalid', `Colour must be one of: ${LABEL_COLORS.join(', ')}.`, { field: 'color' });
    }
    out.color = color as LabelColor;
  }
  return out;
}

/**
 * A task's label ids from JSON (an array of ids) or a form (repeated `labels` fields): no
 * duplicates, at most LABELS_PER_TASK. Whether they exist is checked when they are set.
 */
export function parseLabelIds(v: unknown): number[] {
  const list = Array.isArray(v) ? v : undefined;
  const ids = list?.map((x) =>
    typeof x === 'number' ? x : typeof x === 'string' && /^\d{1,15}$/.test(x) ? Number(x) : Number.NaN,
  );
  if (!ids || ids.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new AppError('invalid', 'Labels must be a list of label ids, e.g. [1, 4].', { field: 'labels' });
  }
  const unique = [...new Set(ids)];
  if (unique.length > LABELS_PER_TASK) {
    throw new AppError('invalid', `A task can carry at most ${LABELS_PER_TASK} labels.`, { field: 'labels' });
  }
  return unique;
}

/** The workspace's labels, by name. */
export function listLabels(db: Db): Label[] {
  return (db.prepare(`${SELECT} ORDER BY l.name COLLATE NOCASE, l.id`).all() as LabelRow[]).map(toLabel);
}

export function getLabel(db: Db, id: number): Label {
  const row = db.prepare(`${SELECT} WHERE l.id = ?`).get(id) as LabelRow | undefined;
  if (!row) throw new AppError('not_found', `Label ${id} was not found.`);
  return toLabel(row);
}

/** The label named `name` (ignoring case), if the workspace has one. */
export function findLabelByName(db: Db, name: string): Label | undefined {
  const row = db.prepare(`${SELECT} WHERE l.name = ? COLLATE NOCASE`).get(name) as LabelRow | undefined;
  return row ? toLabel(row) : undefined;
}

export function createLabel(
  db: Db,
  input: LabelInput,
  opts: { now?: Date; quota?: WorkspaceQuota } = {},
): Label {
  if (input.name === undefined) throw new AppError('invalid', 'Label name is required.', { field: 'name' });
  if (opts.quota) assertQuota(db, opts.quota, 'change');
  assertNameFree(db, input.name);
  const at = (opts.now ?? new Date()).toISOString();
  const { lastInsertRowid } = db
    .prepare('INSERT INTO labels (name, color, created_at, updated_at) VALUES (?, ?, ?, ?)')
    .run(input.name, input.color ?? 'gray', at, at);
  return getLabel(db, Number(lastInsertRowid));
}

/** Renames or recolours a label; every task carrying it shows the change. */
export function updateLabel(db: Db, id: number, patch: LabelInput, now: Date = new Date()): Label {
  const label = getLabel(db, id);
  const name = patch.name ?? label.name;
  const color = patch.color ?? label.color;
  if (name === label.name && color === label.color) return label;
  if (name.toLowerCase() !== label.name.toLowerCase()) assertNameFree(db, name);
  db.prepare('UPDATE labels SET name = ?, color = ?, updated_at = ? WHERE id = ?').run(
    name,
    color,
    now.toISOString(),
    id,
  );
  return getLabel(db, id);
}

/** Deletes a label; the tasks that carried it simply no longer do. */
export function deleteLabel(db: Db, id: number): Label {
  const label = getLabel(db, id);
  db.prepare('DELETE FROM labels WHERE id = ?').run(id);
  return label;
}

/**
 * Sets a task's labels to exactly `labelIds` (each one of the workspace's labels, else 400 naming
 * `labels`). Returns whether anything changed.
 */
export function setTaskLabels(db: Db, taskId: number, labelIds: number[]): boolean {
  const known = new Set((db.prepare('SELECT id FROM labels').all() as { id: number }[]).map((r) => r.id));
  const unknown = labelIds.find((id) => !known.has(id));
  if (unknown !== undefined) {
    throw new AppError('invalid', `Label ${unknown} is not one of this workspace's labels.`, {
      field: 'labels',
    });
  }
  const current = taskLabelIds(db, taskId);
  const want = new Set(labelIds);
  const removed = current.filter((id) => !want.has(id));
  const added = labelIds.filter((id) => !current.includes(id));
  const del = db.prepare('DELETE FROM task_labels WHERE task_id = ? AND label_id = ?');
  for (const id of removed) del.run(taskId, id);
  const ins = db.prepare('INSERT INTO task_labels (task_id, label_id) VALUES (?, ?)');
  for (const id of added) ins.run(taskId, id);
  return removed.length > 0 || added.length > 0;
}

export function taskLabelIds(db: Db, taskId: number): number[] {
  return (
    db.prepare('SELECT label_id FROM task_labels WHERE task_id = ?').all(taskId) as { label_id: number }[]
  ).map((r) => r.label_id);
}

function assertNameFree(db: Db, name: string): void {
  if (db.prepare('SELECT 1 FROM labels WHERE name = ? COLLATE NOCASE').get(name)) {
    throw new AppError('conflict', `This workspace already has a label called "${name}".`, { field: 'name' });
  }
}
