import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { getInbox, getProject } from './projects.ts';
import { statement } from './statements.ts';
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
  /** Due before the user's today and not done. */
  overdue: boolean;
  /** Due on the user's today and not done. */
  dueToday: boolean;
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

/** How many of the user's tasks match a filter: in all, per status, and how many are overdue or due today. */
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
}

const SELECT = `
  SELECT t.id, t.project_id, p.name AS project_name, t.title, t.description, t.status, t.priority,
         t.due_date, t.created_at, t.updated_at
  FROM tasks t JOIN projects p ON p.id = t.project_id`;

const ORDER: Record<TaskFilter['sort'], string> = {
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
    overdue: r.due_date !== null && r.due_date < todayIso && r.status !== 'done',
    dueToday: r.due_date === todayIso && r.status !== 'done',
  };
}

/** The WHERE clause and parameters that select the user's tasks matching `filter`. */
function whereOf(userId: number, filter: TaskFilter): { where: string; params: Record<string, unknown> } {
  const where = ['t.user_id = @userId'];
  const params: Record<string, unknown> = { userId };
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
  if (filter.q) {
    where.push("(t.title LIKE @q ESCAPE '\\' OR t.description LIKE @q ESCAPE '\\')");
    params.q = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  }
  return { where: where.join(' AND '), params };
}

/**
 * The user's tasks matching `filter`, in the filter's order: one page of them (`limit`, default
 * 1000, from `offset`), flagged overdue / due today against `today`.
 */
export function listTasks(db: Db, userId: number, filter: TaskFilter, opts: ListOptions = {}): Task[] {
  const { where, params } = whereOf(userId, filter);
  const rows = statement(
    db,
    `${SELECT} WHERE ${where} ORDER BY ${ORDER[filter.sort]} LIMIT @limit OFFSET @offset`,
  ).all({ ...params, limit: opts.limit ?? 1000, offset: opts.offset ?? 0 }) as TaskRow[];
  const day = opts.today ?? today();
  return rows.map((r) => toTask(r, day));
}

/** Counts the user's tasks matching `filter` (the same filter listTasks takes), whatever the page. */
export function countTasks(db: Db, userId: number, filter: TaskFilter, opts: ListOptions = {}): TaskCounts {
  const { where, params } = whereOf(userId, filter);
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

/** Whether the user's task `id` is among those `filter` selects (e.g. one just added, under a filter). */
export function matchesFilter(db: Db, userId: number, filter: TaskFilter, id: number): boolean {
  const { where, params } = whereOf(userId, filter);
  return (
    statement(db, `SELECT 1 FROM tasks t WHERE ${where} AND t.id = @id`).get({ ...params, id }) !== undefined
  );
}

/**
 * One of the user's tasks (flagged against `day`, default today in UTC); another user's id is
 * not_found, exactly like a missing one.
 */
export function getTask(db: Db, userId: number, id: number, day: string = today()): Task {
  const row = statement(db, `${SELECT} WHERE t.id = ? AND t.user_id = ?`).get(id, userId) as
    | TaskRow
    | undefined;
  if (!row) throw new AppError('not_found', `Task ${id} was not found.`);
  return toTask(row, day);
}

/** Creates a task (in the user's Inbox unless `projectId` names one of their projects). */
export function createTask(db: Db, userId: number, input: TaskInput, now: Date = new Date()): Task {
  if (input.title === undefined) throw new AppError('invalid', 'Title is required.', { field: 'title' });
  const projectId = input.projectId ? ownProject(db, userId, input.projectId) : getInbox(db, userId).id;
  const at = now.toISOString();
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO tasks (user_id, project_id, title, description, status, priority, due_date, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      userId,
      projectId,
      input.title,
      input.description ?? '',
      input.status ?? 'todo',
      input.priority ?? 'normal',
      input.dueDate ?? null,
      at,
      at,
    );
  return getTask(db, userId, Number(lastInsertRowid));
}

/** Changes the given fields of one of the user's tasks. An empty patch changes nothing (and writes nothing). */
export function updateTask(
  db: Db,
  userId: number,
  id: number,
  patch: TaskInput,
  now: Date = new Date(),
): Task {
  const task = getTask(db, userId, id);
  const next = {
    title: patch.title ?? task.title,
    description: patch.description ?? task.description,
    status: patch.status ?? task.status,
    priority: patch.priority ?? task.priority,
    dueDate: patch.dueDate === undefined ? task.dueDate : patch.dueDate,
    projectId: patch.projectId === undefined ? task.projectId : ownProject(db, userId, patch.projectId),
  };
  const unchanged =
    next.title === task.title &&
    next.description === task.description &&
    next.status === task.status &&
    next.priority === task.priority &&
    next.dueDate === task.dueDate &&
    next.projectId === task.projectId;
  if (unchanged) return task;
  db.prepare(
    `UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, due_date = ?, project_id = ?, updated_at = ?
     WHERE id = ? AND user_id = ?`,
  ).run(
    next.title,
    next.description,
    next.status,
    next.priority,
    next.dueDate,
    next.projectId,
    now.toISOString(),
    id,
    userId,
  );
  return getTask(db, userId, id);
}

export function deleteTask(db: Db, userId: number, id: number): void {
  const { changes } = db.prepare('DELETE FROM tasks WHERE id = ? AND user_id = ?').run(id, userId);
  if (changes === 0) throw new AppError('not_found', `Task ${id} was not found.`);
}

function ownProject(db: Db, userId: number, projectId: number): number {
  try {
    return getProject(db, userId, projectId).id;
  } catch {
    throw new AppError('invalid', 'Choose one of your projects.', { field: 'projectId' });
  }
}
