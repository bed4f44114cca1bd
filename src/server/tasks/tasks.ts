import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { getInbox, getProject } from './projects.ts';
import { assertQuota, type WorkspaceQuota } from './quota.ts';
import type { TaskFilter, TaskInput, TaskPriority, TaskStatus } from './validation.ts';

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
  /** Due before today (UTC) and not done. */
  overdue: boolean;
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
}

/** What a write may be told: the clock (tests) and the workspace's limits (the app always passes them). */
export interface WriteOptions {
  now?: Date;
  quota?: WorkspaceQuota;
}

const SELECT = `
  SELECT t.id, t.project_id, p.name AS project_name, t.title, t.description, t.status, t.priority,
         t.due_date, t.created_at, t.updated_at, t.created_by, t.updated_by
  FROM tasks t JOIN projects p ON p.id = t.project_id`;

const ORDER: Record<TaskFilter['sort'], string> = {
  recent: 't.updated_at DESC, t.id DESC',
  // Tasks without a due date go last.
  due: 't.due_date IS NULL, t.due_date ASC, t.id DESC',
  priority:
    "CASE t.priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, t.due_date IS NULL, t.due_date, t.id DESC",
};

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
  };
}

/** The workspace's tasks matching `filter`, in the filter's order. At most `limit` (default 1000). */
export function listTasks(db: Db, filter: TaskFilter, limit = 1000): Task[] {
  const where = ['1 = 1'];
  const params: Record<string, unknown> = { limit };
  if (filter.status) {
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
  const rows = db
    .prepare(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY ${ORDER[filter.sort]} LIMIT @limit`)
    .all(params) as TaskRow[];
  const t = today();
  return rows.map((r) => toTask(r, t));
}

/** One of the workspace's tasks (ids are per workspace: another workspace's task is simply not here). */
export function getTask(db: Db, id: number): Task {
  const row = db.prepare(`${SELECT} WHERE t.id = ?`).get(id) as TaskRow | undefined;
  if (!row) throw new AppError('not_found', `Task ${id} was not found.`);
  return toTask(row, today());
}

/**
 * Creates a task (in the Inbox unless `projectId` names one of the workspace's projects), recording
 * `actor` (a directory user id) as its creator.
 */
export function createTask(db: Db, actor: number, input: TaskInput, opts: WriteOptions = {}): Task {
  const now = opts.now ?? new Date();
  if (input.title === undefined) throw new AppError('invalid', 'Title is required.', { field: 'title' });
  if (opts.quota) assertQuota(db, opts.quota, 'task');
  const projectId = input.projectId ? ownProject(db, input.projectId) : getInbox(db).id;
  const at = now.toISOString();
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO tasks (project_id, title, description, status, priority, due_date, created_by, updated_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      projectId,
      input.title,
      input.description ?? '',
      input.status ?? 'todo',
      input.priority ?? 'normal',
      input.dueDate ?? null,
      actor,
      actor,
      at,
      at,
    );
  return getTask(db, Number(lastInsertRowid));
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
  const unchanged =
    next.title === task.title &&
    next.description === task.description &&
    next.status === task.status &&
    next.priority === task.priority &&
    next.dueDate === task.dueDate &&
    next.projectId === task.projectId;
  if (unchanged) return task;
  // Past the byte limit only changes that cannot grow the file go through (a status change, say).
  if (opts.quota && next.description.length > task.description.length) assertQuota(db, opts.quota, 'change');
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
  return getTask(db, id);
}

export function deleteTask(db: Db, id: number): void {
  const { changes } = db.prepare('DELETE FROM tasks WHERE id = ?').run(id);
  if (changes === 0) throw new AppError('not_found', `Task ${id} was not found.`);
}

function ownProject(db: Db, projectId: number): number {
  try {
    return getProject(db, projectId).id;
  } catch {
    throw new AppError('invalid', "Choose one of this workspace's projects.", { field: 'projectId' });
  }
}
