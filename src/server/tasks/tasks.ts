import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import type { ChecklistProgress } from './checklist.ts';
import { setTaskLabels, type TaskLabel } from './labels.ts';
import { endPosition, ORDERED, placeRow } from './positions.ts';
import { getInbox, getProject } from './projects.ts';
import { assertQuota, type WorkspaceQuota } from './quota.ts';
import { statement } from './statements.ts';
import { nextTaskId, purgeTrash, type TrashEntry, trashTask } from './trash.ts';
import {
  STATUSES,
  type TaskFilter,
  type TaskInput,
  type TaskPriority,
  type TaskStatus,
} from './validation.ts';

export interface Task {
  id: number;
  projectId: number;
  projectName: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: TaskPriority;
  dueDate: string | null;
  createdAt: string;
  updatedAt: string;
  /** Directory user ids of who created the task and who changed it last (null: unknown). */
  createdBy: number | null;
  updatedBy: number | null;
  /** Due before the user's today and not done. */
  overdue: boolean;
  /** Due on the user's today and not done. */
  dueToday: boolean;
  /** Its place in its status column: lower comes first (the board's own order). */
  position: number;
  /** Its labels, by name. */
  labels: TaskLabel[];
  /** How much of its checklist is done. */
  checklist: ChecklistProgress;
}

/** Which page of a listing, and which calendar day is "today" for the user (YYYY-MM-DD). */
export interface ListOptions {
  /** At most this many tasks (default 1000). */
  limit?: number;
  /** Skip this many first (default 0). */
  offset?: number;
  /** The user's calendar day, for `overdue` and `dueToday` (default: today in UTC). */
  today?: string;
}

/**
 * What a write may be told: the clock (tests), the workspace's limits and how long deletes can be
 * undone (the app always passes both: see writeOptions in src/server/http/write-options.ts).
 */
export interface WriteOptions {
  now?: Date;
  quota?: WorkspaceQuota;
  /** Seconds a delete can be undone (CC_UNDO_SECONDS); older trash is purged by this write. */
  undoSeconds?: number;
}

/** How many of the workspace's tasks match a filter: in all, per status, and how many are overdue or due today. */
export interface TaskCounts {
  total: number;
  byStatus: Record<TaskStatus, number>;
  overdue: number;
  dueToday: number;
}

interface TaskRow {
  id: number;
  project_id: number;
  project_name: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: TaskPriority;
  due_date: string | null;
  created_at: string;
  updated_at: string;
  created_by: number | null;
  updated_by: number | null;
  position: number;
  labels_json: string;
  checklist_total: number;
  checklist_done: number;
}

const SELECT = `
  SELECT t.id, t.project_id, p.name AS project_name, t.title, t.description, t.status, t.priority,
         t.due_date, t.created_at, t.updated_at, t.created_by, t.updated_by, t.position,
         (SELECT json_group_array(json_object('id', l.id, 'name', l.name, 'color', l.color))
            FROM (SELECT l.id, l.name, l.color FROM task_labels tl JOIN labels l ON l.id = tl.label_id
                  WHERE tl.task_id = t.id ORDER BY l.name COLLATE NOCASE, l.id) l) AS labels_json,
         (SELECT count(*) FROM checklist_items c WHERE c.task_id = t.id) AS checklist_total,
         (SELECT count(*) FROM checklist_items c WHERE c.task_id = t.id AND c.done = 1) AS checklist_done
  FROM tasks t JOIN projects p ON p.id = t.project_id`;

const ORDER: Record<TaskFilter['sort'], string> = {
  // The board's own order: a column by position; across columns (the list) To do, Doing, Done.
  manual: "CASE t.status WHEN 'todo' THEN 0 WHEN 'doing' THEN 1 ELSE 2 END, t.position, t.id",
  recent: 't.updated_at DESC, t.id DESC',
  // Done tasks go last (their dates no longer matter), then tasks without a due date.
  due: "t.status = 'done', t.due_date IS NULL, t.due_date ASC, t.id DESC",
  priority:
    "CASE t.priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, t.due_date IS NULL, t.due_date, t.id DESC",
};

/** Today's calendar day in UTC (YYYY-MM-DD): the day used when the user's own is not known. */
export function today(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function toTask(r: TaskRow, todayIso: string): Task {
  return {
    id: r.id,
    projectId: r.project_id,
    projectName: r.project_name,
    title: r.title,
    description: r.description,
    status: r.status,
    priority: r.priority,
    dueDate: r.due_date,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
    overdue: r.due_date !== null && r.due_date < todayIso && r.status !== 'done',
    dueToday: r.due_date === todayIso && r.status !== 'done',
    position: r.position,
    labels: JSON.parse(r.labels_json) as TaskLabel[],
    checklist: { done: r.checklist_done, total: r.checklist_total },
  };
}

/** The WHERE clause and parameters that select the workspace's tasks matching `filter`. */
function whereOf(filter: TaskFilter): { where: string; params: Record<string, unknown> } {
  const where = ['1 = 1'];
  const params: Record<string, unknown> = {};
  if (filter.status === 'open') {
    where.push("t.status IN ('todo', 'doing')");
  } else if (filter.status) {
    where.push('t.status = @status');
    params.status = filter.status;
  }
  if (filter.priority) {
    where.push('t.priority = @priority');
    params.priority = filter.priority;
  }
  if (filter.projectId) {
    where.push('t.project_id = @projectId');
    params.projectId = filter.projectId;
  }
  if (filter.label !== undefined) {
    // A label by id, or by name (ignoring case): `?label=3` or `?label=bug`.
    where.push(
      typeof filter.label === 'number'
        ? 'EXISTS (SELECT 1 FROM task_labels tl WHERE tl.task_id = t.id AND tl.label_id = @label)'
        : 'EXISTS (SELECT 1 FROM task_labels tl JOIN labels l ON l.id = tl.label_id WHERE tl.task_id = t.id AND l.name = @label COLLATE NOCASE)',
    );
    params.label = filter.label;
  }
  if (filter.q) {
    where.push("(t.title LIKE @q ESCAPE '\\' OR t.description LIKE @q ESCAPE '\\')");
    params.q = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  }
  return { where: where.join(' AND '), params };
}

/**
 * The workspace's tasks matching `filter` (`db` is the workspace's database), in the filter's
 * order: one page of them (`limit`, default 1000, from `offset`), flagged overdue / due today
 * against `today`.
 */
export function listTasks(db: Db, filter: TaskFilter, opts: ListOptions = {}): Task[] {
  const { where, params } = whereOf(filter);
  const rows = statement(
    db,
    `${SELECT} WHERE ${where} ORDER BY ${ORDER[filter.sort]} LIMIT @limit OFFSET @offset`,
  ).all({ ...params, limit: opts.limit ?? 1000, offset: opts.offset ?? 0 }) as TaskRow[];
  const day = opts.today ?? today();
  return rows.map((r) => toTask(r, day));
}

/** Counts the workspace's tasks matching `filter` (the same filter listTasks takes), whatever the page. */
export function countTasks(db: Db, filter: TaskFilter, opts: ListOptions = {}): TaskCounts {
  const { where, params } = whereOf(filter);
  const rows = statement(
    db,
    `SELECT t.status AS status, count(*) AS n,
              coalesce(sum(t.due_date < @today AND t.status != 'done'), 0) AS overdue,
              coalesce(sum(t.due_date = @today AND t.status != 'done'), 0) AS due_today
       FROM tasks t WHERE ${where} GROUP BY t.status`,
  ).all({ ...params, today: opts.today ?? today() }) as {
    status: TaskStatus;
    n: number;
    overdue: number;
    due_today: number;
  }[];
  const counts: TaskCounts = {
    total: 0,
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>,
    overdue: 0,
    dueToday: 0,
  };
  for (const r of rows) {
    counts.byStatus[r.status] = r.n;
    counts.total += r.n;
    counts.overdue += r.overdue;
    counts.dueToday += r.due_today;
  }
  return counts;
}

/** Whether task `id` is among those `filter` selects (e.g. one just added, under a filter). */
export function matchesFilter(db: Db, filter: TaskFilter, id: number): boolean {
  const { where, params } = whereOf(filter);
  return (
    statement(db, `SELECT 1 FROM tasks t WHERE ${where} AND t.id = @id`).get({ ...params, id }) !== undefined
  );
}

/**
 * One of the workspace's tasks (flagged against `day`, default today in UTC). Ids are per
 * workspace: another workspace's task is simply not here (not_found, like a missing one).
 */
export function getTask(db: Db, id: number, day: string = today()): Task {
  const row = statement(db, `${SELECT} WHERE t.id = ?`).get(id) as TaskRow | undefined;
  if (!row) throw new AppError('not_found', `Task ${id} was not found.`);
  return toTask(row, day);
}

/**
 * Creates a task (in the Inbox unless `projectId` names one of the workspace's projects), recording
 * `actor` (a directory user id) as its creator.
 */
export function createTask(db: Db, actor: number, input: TaskInput, opts: WriteOptions = {}): Task {
  const now = opts.now ?? new Date();
  if (input.title === undefined) throw new AppError('invalid', 'Title is required.', { field: 'title' });
  if (opts.quota) assertQuota(db, opts.quota, 'task');
  if (opts.undoSeconds !== undefined) purgeTrash(db, opts.undoSeconds, now);
  const projectId = input.projectId ? ownProject(db, input.projectId) : getInbox(db).id;
  const at = now.toISOString();
  const status = input.status ?? 'todo';
  // New cards go on top of their column; ids never reuse one a pending undo will want back.
  const id = nextTaskId(db);
  db.prepare(
    `INSERT INTO tasks (id, project_id, title, description, status, priority, due_date, created_by, updated_by, created_at, updated_at, position)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    projectId,
    input.title,
    input.description ?? '',
    status,
    input.priority ?? 'normal',
    input.dueDate ?? null,
    actor,
    actor,
    at,
    at,
    endPosition(db, ORDERED.tasks, status, 'first'),
  );
  if (input.labels) setTaskLabels(db, id, input.labels);
  if (input.position !== undefined && input.position !== 'first')
    placeRow(db, ORDERED.tasks, status, id, input.position);
  return getTask(db, id);
}

/**
 * Changes the given fields of one of the workspace's tasks, recording `actor` as the last to change
 * it. A patch that changes nothing writes nothing.
 */
export function updateTask(
  db: Db,
  actor: number,
  id: number,
  patch: TaskInput,
  opts: WriteOptions = {},
): Task {
  const now = opts.now ?? new Date();
  const task = getTask(db, id);
  const next = {
    title: patch.title ?? task.title,
    description: patch.description ?? task.description,
    status: patch.status ?? task.status,
    priority: patch.priority ?? task.priority,
    dueDate: patch.dueDate === undefined ? task.dueDate : patch.dueDate,
    projectId: patch.projectId === undefined ? task.projectId : ownProject(db, patch.projectId),
  };
  const fieldsUnchanged =
    next.title === task.title &&
    next.description === task.description &&
    next.status === task.status &&
    next.priority === task.priority &&
    next.dueDate === task.dueDate &&
    next.projectId === task.projectId;
  const labelsUnchanged =
    patch.labels === undefined ||
    (patch.labels.length === task.labels.length && task.labels.every((l) => patch.labels?.includes(l.id)));
  if (fieldsUnchanged && labelsUnchanged && patch.position === undefined) return task;
  // Past the byte limit only changes that cannot grow the file go through (a status change, say).
  const grows =
    next.description.length > task.description.length ||
    next.title.length > task.title.length ||
    (patch.labels?.length ?? 0) > task.labels.length;
  if (opts.quota && grows) assertQuota(db, opts.quota, 'change');
  if (opts.undoSeconds !== undefined) purgeTrash(db, opts.undoSeconds, now);
  db.prepare(
    `UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, due_date = ?, project_id = ?,
       updated_by = ?, updated_at = ?
     WHERE id = ?`,
  ).run(
    next.title,
    next.description,
    next.status,
    next.priority,
    next.dueDate,
    next.projectId,
    actor,
    now.toISOString(),
    id,
  );
  if (patch.labels) setTaskLabels(db, id, patch.labels);
  // A card moved to another column goes on top of it, unless the patch says where.
  if (patch.position !== undefined) placeRow(db, ORDERED.tasks, next.status, id, patch.position);
  else if (next.status !== task.status) placeRow(db, ORDERED.tasks, next.status, id, 'first');
  return getTask(db, id);
}

/**
 * Deletes one of the workspace's tasks into the trash, from where it can be restored exactly for
 * `undoSeconds` (trash.ts). Returns the trash entry that Undo names.
 */
export function deleteTask(
  db: Db,
  actor: number,
  id: number,
  opts: { undoSeconds: number; now?: Date },
): TrashEntry {
  return trashTask(db, id, { actor, ...opts });
}

function ownProject(db: Db, projectId: number): number {
  try {
    return getProject(db, projectId).id;
  } catch {
    throw new AppError('invalid', "Choose one of this workspace's projects.", { field: 'projectId' });
  }
}

/** Where the task page's order buttons move a card within its column. */
export type Nudge = 'first' | 'up' | 'down' | 'last';

/**
 * Moves a task within its status column (the no-JavaScript way to reorder: top, one up, one
 * down, bottom), in the board's own order. At an end, "up"/"down" change nothing.
 */
export function nudgeTask(db: Db, actor: number, id: number, where: Nudge, opts: WriteOptions = {}): Task {
  const task = getTask(db, id);
  if (where === 'first' || where === 'last') return updateTask(db, actor, id, { position: where }, opts);
  const neighbour = statement(
    db,
    where === 'up'
      ? 'SELECT id FROM tasks WHERE status = ? AND (position < ? OR (position = ? AND id < ?)) ORDER BY position DESC, id DESC LIMIT 1'
      : 'SELECT id FROM tasks WHERE status = ? AND (position > ? OR (position = ? AND id > ?)) ORDER BY position, id LIMIT 1',
  ).get(task.status, task.position, task.position, id) as { id: number } | undefined;
  if (!neighbour) return task;
  const position = where === 'up' ? { before: neighbour.id } : { after: neighbour.id };
  return updateTask(db, actor, id, { position }, opts);
}

/** Where a task stands in its status column, in the board's own order: 1-based, of how many. */
export function columnPlace(db: Db, task: Task): { index: number; of: number } {
  const row = statement(
    db,
    `SELECT count(*) AS of,
            coalesce(sum(position < @p OR (position = @p AND id < @id)), 0) AS before
     FROM tasks WHERE status = @status`,
  ).get({ p: task.position, id: task.id, status: task.status }) as { of: number; before: number };
  return { index: row.before + 1, of: row.of };
}
