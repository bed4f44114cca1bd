import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';

/**
 * Undo for deletes. Deleting a task or a project moves it, whole, into the `trash` table: one row
 * holding a JSON snapshot of the rows it took with it (the task, its checklist items and label
 * links; a project with all of its tasks). Undo writes the rows back from the snapshot.
 *
 * 1. Restores exactly: the same ids, fields, positions, checklist and labels. A label deleted in
 *    the meantime stays deleted (the task just no longer carries it); a project deleted in the
 *    meantime sends a restored task to the Inbox; a checklist item id taken in the meantime gets
 *    a new one. A task id is never taken in the meantime: new tasks are numbered past every id
 *    the trash holds (nextTaskId).
 * 2. Nothing else has to know: the rows are really gone from their tables, so no query elsewhere
 *    skips tombstones.
 * 3. Bounded: entries older than the undo window (CC_UNDO_SECONDS) are purged by every later
 *    delete, undo and task write, and cannot be restored once past it even before that.
 */

export type TrashKind = 'task' | 'project';

export interface TrashEntry {
  id: number;
  kind: TrashKind;
  itemId: number;
  title: string;
  deletedAt: string;
  /** When undo stops being possible. */
  expiresAt: string;
}

/** What undo brought back, for the page to land on. */
export type Restored =
  | { kind: 'task'; taskId: number; title: string }
  | { kind: 'project'; projectId: number; title: string };

type Row = Record<string, unknown>;

interface TaskSnapshot {
  task: Row;
  checklist: Row[];
  labels: number[];
}

interface Snapshot {
  version: 1;
  /** The highest task id inside, so new tasks never take one an undo will want back. */
  maxTaskId: number;
  task?: TaskSnapshot;
  project?: { project: Row; tasks: TaskSnapshot[] };
}

interface TrashRow {
  id: number;
  kind: TrashKind;
  item_id: number;
  title: string;
  snapshot: string;
  deleted_at: string;
}

/** Removes trash entries older than the undo window. */
export function purgeTrash(db: Db, undoSeconds: number, now: Date = new Date()): void {
  db.prepare('DELETE FROM trash WHERE deleted_at < ?').run(cutoff(undoSeconds, now));
}

/**
 * Removes every trash entry, within the undo window or not; how many went. For a full workspace
 * (quota.ts), whose deletions must free space now rather than after the window.
 */
export function emptyTrash(db: Db): number {
  return db.prepare('DELETE FROM trash').run().changes;
}

/** The id a new task gets: past every task that exists and every one the trash may bring back. */
export function nextTaskId(db: Db): number {
  const row = db
    .prepare(
      `SELECT max(coalesce((SELECT max(id) FROM tasks), 0),
                  coalesce((SELECT max(json_extract(snapshot, '$.maxTaskId')) FROM trash), 0)) AS n`,
    )
    .get() as { n: number };
  return row.n + 1;
}

/** Deletes task `id` into the trash. Returns the entry (its id is what Undo names). */
export function trashTask(db: Db, id: number, opts: TrashOptions): TrashEntry {
  const snap = snapshotTask(db, id);
  const title = String(snap.task.title);
  db.prepare('DELETE FROM tasks WHERE id = ?').run(id);
  return addEntry(db, 'task', id, title, { version: 1, maxTaskId: id, task: snap }, opts);
}

/** Deletes project `id` and its tasks into the trash (one entry). */
export function trashProject(db: Db, id: number, opts: TrashOptions): TrashEntry & { deletedTasks: number } {
  const project = db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as Row | undefined;
  if (!project) throw new AppError('not_found', `Project ${id} was not found.`);
  if (project.is_inbox === 1) throw new AppError('invalid', 'The Inbox cannot be deleted.', { field: 'id' });
  const ids = (
    db.prepare('SELECT id FROM tasks WHERE project_id = ? ORDER BY id').all(id) as { id: number }[]
  ).map((r) => r.id);
  const tasks = ids.map((taskId) => snapshotTask(db, taskId));
  db.prepare('DELETE FROM tasks WHERE project_id = ?').run(id);
  db.prepare('DELETE FROM projects WHERE id = ?').run(id);
  const entry = addEntry(
    db,
    'project',
    id,
    String(project.name),
    { version: 1, maxTaskId: Math.max(0, ...ids), project: { project, tasks } },
    opts,
  );
  return { ...entry, deletedTasks: ids.length };
}

export interface TrashOptions {
  /** Who deleted it (a directory user id). */
  actor: number;
  undoSeconds: number;
  now?: Date;
}

/** What the trash holds that can still be undone, newest first. */
export function listTrash(db: Db, undoSeconds: number, now: Date = new Date()): TrashEntry[] {
  const rows = db
    .prepare('SELECT * FROM trash WHERE deleted_at >= ? ORDER BY deleted_at DESC, id DESC')
    .all(cutoff(undoSeconds, now)) as TrashRow[];
  return rows.map((r) => toEntry(r, undoSeconds));
}

/** The entry `id` while it can still be undone, else undefined. */
export function findTrash(
  db: Db,
  id: number,
  undoSeconds: number,
  now: Date = new Date(),
): TrashEntry | undefined {
  const row = db
    .prepare('SELECT * FROM trash WHERE id = ? AND deleted_at >= ?')
    .get(id, cutoff(undoSeconds, now)) as TrashRow | undefined;
  return row ? toEntry(row, undoSeconds) : undefined;
}

/**
 * Puts back what entry `id` deleted (see the top of this file), and removes the entry. `expect`
 * names what the caller was shown (an Undo button's task or project): entry ids are reused once
 * purged, so an old button never restores something else.
 */
export function restoreTrash(
  db: Db,
  id: number,
  undoSeconds: number,
  opts: { expect?: { kind: TrashKind; itemId: number }; now?: Date } = {},
): Restored {
  purgeTrash(db, undoSeconds, opts.now ?? new Date());
  const row = db.prepare('SELECT * FROM trash WHERE id = ?').get(id) as TrashRow | undefined;
  const other = opts.expect && row && (row.kind !== opts.expect.kind || row.item_id !== opts.expect.itemId);
  if (!row || other) {
    throw new AppError(
      'not_found',
      `There is nothing to undo: it was already restored, or deleted more than ${undoSeconds} seconds ago.`,
    );
  }
  const snap = JSON.parse(row.snapshot) as Snapshot;
  db.prepare('DELETE FROM trash WHERE id = ?').run(id);
  if (row.kind === 'task' && snap.task) {
    const taskId = restoreTask(db, snap.task, undefined);
    return { kind: 'task', taskId, title: row.title };
  }
  if (row.kind === 'project' && snap.project) {
    const project = { ...snap.project.project };
    // A project of the same name made in the meantime: the restored one says which it is.
    const clash = db.prepare('SELECT 1 FROM projects WHERE name = ? COLLATE NOCASE').get(project.name);
    if (clash) project.name = `${project.name} (restored)`;
    const taken = db.prepare('SELECT 1 FROM projects WHERE id = ?').get(project.id);
    if (taken) delete project.id;
    const projectId = insertRow(db, 'projects', project);
    for (const t of snap.project.tasks) restoreTask(db, t, projectId);
    return { kind: 'project', projectId, title: row.title };
  }
  throw new Error(`trash: entry ${id} holds no ${row.kind} snapshot`);
}

function snapshotTask(db: Db, id: number): TaskSnapshot {
  const task = db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as Row | undefined;
  if (!task) throw new AppError('not_found', `Task ${id} was not found.`);
  const checklist = db
    .prepare('SELECT * FROM checklist_items WHERE task_id = ? ORDER BY id')
    .all(id) as Row[];
  const labels = (
    db.prepare('SELECT label_id FROM task_labels WHERE task_id = ?').all(id) as { label_id: number }[]
  ).map((r) => r.label_id);
  return { task, checklist, labels };
}

function restoreTask(db: Db, snap: TaskSnapshot, projectId: number | undefined): number {
  const task = { ...snap.task };
  if (projectId !== undefined) task.project_id = projectId;
  else if (!db.prepare('SELECT 1 FROM projects WHERE id = ?').get(task.project_id)) {
    task.project_id = (db.prepare('SELECT id FROM projects WHERE is_inbox = 1').get() as { id: number }).id;
  }
  if (db.prepare('SELECT 1 FROM tasks WHERE id = ?').get(task.id)) delete task.id;
  const taskId = insertRow(db, 'tasks', task);
  for (const item of snap.checklist) {
    const copy: Row = { ...item, task_id: taskId };
    if (db.prepare('SELECT 1 FROM checklist_items WHERE id = ?').get(copy.id)) delete copy.id;
    insertRow(db, 'checklist_items', copy);
  }
  const link = db.prepare(
    'INSERT INTO task_labels (task_id, label_id) SELECT ?, id FROM labels WHERE id = ?',
  );
  for (const labelId of snap.labels) link.run(taskId, labelId);
  return taskId;
}

/**
 * Inserts a snapshot row into `table` (a name from this file, never input), with only the
 * columns the table has now: a snapshot taken before a later migration still restores.
 */
function insertRow(db: Db, table: 'tasks' | 'projects' | 'checklist_items', row: Row): number {
  const columns = new Set(
    (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name),
  );
  const keys = Object.keys(row).filter((k) => columns.has(k));
  const { lastInsertRowid } = db
    .prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`)
    .run(...keys.map((k) => row[k] as string | number | null));
  return Number(lastInsertRowid);
}

function addEntry(
  db: Db,
  kind: TrashKind,
  itemId: number,
  title: string,
  snapshot: Snapshot,
  opts: TrashOptions,
): TrashEntry {
  const now = opts.now ?? new Date();
  purgeTrash(db, opts.undoSeconds, now);
  const { lastInsertRowid } = db
    .prepare(
      'INSERT INTO trash (kind, item_id, title, snapshot, deleted_by, deleted_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(kind, itemId, title, JSON.stringify(snapshot), opts.actor, now.toISOString());
  const row = db.prepare('SELECT * FROM trash WHERE id = ?').get(Number(lastInsertRowid)) as TrashRow;
  return toEntry(row, opts.undoSeconds);
}

function toEntry(r: TrashRow, undoSeconds: number): TrashEntry {
  return {
    id: r.id,
    kind: r.kind,
    itemId: r.item_id,
    title: r.title,
    deletedAt: r.deleted_at,
    expiresAt: new Date(Date.parse(r.deleted_at) + undoSeconds * 1000).toISOString(),
  };
}

function cutoff(undoSeconds: number, now: Date): string {
  return new Date(now.getTime() - undoSeconds * 1000).toISOString();
}
