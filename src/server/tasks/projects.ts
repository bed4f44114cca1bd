import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { assertQuota, type WorkspaceQuota } from './quota.ts';
import { type TrashEntry, trashProject } from './trash.ts';

export interface Project {
  id: number;
  name: string;
  isInbox: boolean;
  taskCount: number;
  openCount: number;
  createdAt: string;
  updatedAt: string;
}

interface ProjectRow {
  id: number;
  name: string;
  is_inbox: number;
  task_count: number;
  open_count: number;
  created_at: string;
  updated_at: string;
}

export const INBOX = 'Inbox';

const SELECT = `
  SELECT p.id, p.name, p.is_inbox, p.created_at, p.updated_at,
         (SELECT count(*) FROM tasks t WHERE t.project_id = p.id) AS task_count,
         (SELECT count(*) FROM tasks t WHERE t.project_id = p.id AND t.status != 'done') AS open_count
  FROM projects p`;

function toProject(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    isInbox: r.is_inbox === 1,
    taskCount: r.task_count,
    openCount: r.open_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The workspace's projects, Inbox first, then by name. `db` is the workspace's database. */
export function listProjects(db: Db): Project[] {
  const rows = db.prepare(`${SELECT} ORDER BY p.is_inbox DESC, p.name COLLATE NOCASE`).all() as ProjectRow[];
  return rows.map(toProject);
}

export function getProject(db: Db, id: number): Project {
  const row = db.prepare(`${SELECT} WHERE p.id = ?`).get(id) as ProjectRow | undefined;
  if (!row) throw new AppError('not_found', `Project ${id} was not found.`);
  return toProject(row);
}

export function getInbox(db: Db): Project {
  const row = db.prepare(`${SELECT} WHERE p.is_inbox = 1`).get() as ProjectRow | undefined;
  if (!row) throw new AppError('not_found', 'The Inbox was not found.');
  return toProject(row);
}

/** Creates a project; names are unique in a workspace, ignoring case. */
export function createProject(
  db: Db,
  name: string,
  opts: { now?: Date; isInbox?: boolean; quota?: WorkspaceQuota } = {},
): Project {
  const now = opts.now ?? new Date();
  const isInbox = opts.isInbox ?? false;
  if (opts.quota) assertQuota(db, opts.quota, 'project');
  assertNameFree(db, name);
  const at = now.toISOString();
  const { lastInsertRowid } = db
    .prepare('INSERT INTO projects (name, is_inbox, created_at, updated_at) VALUES (?, ?, ?, ?)')
    .run(name, isInbox ? 1 : 0, at, at);
  return getProject(db, Number(lastInsertRowid));
}

export function renameProject(db: Db, id: number, name: string, now: Date = new Date()): Project {
  const project = getProject(db, id);
  if (project.name === name) return project;
  if (project.name.toLowerCase() !== name.toLowerCase()) assertNameFree(db, name);
  db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(name, now.toISOString(), id);
  return getProject(db, id);
}

/**
 * Deletes a project and all its tasks into the trash, from where Undo restores them exactly for
 * `undoSeconds` (trash.ts). The Inbox stays: it is where new tasks go.
 */
export function deleteProject(
  db: Db,
  actor: number,
  id: number,
  opts: { undoSeconds: number; now?: Date },
): TrashEntry & { deletedTasks: number } {
  return trashProject(db, id, { actor, ...opts });
}

function assertNameFree(db: Db, name: string): void {
  const taken = db.prepare('SELECT 1 FROM projects WHERE name = ? COLLATE NOCASE').get(name);
  if (taken)
    throw new AppError('conflict', `This workspace already has a project called "${name}".`, {
      field: 'name',
    });
}
