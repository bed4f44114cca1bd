import type { User } from '../auth/users.ts';
import { knownMigrations, WORKSPACE } from '../db/migrations.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import type { Runtime } from '../runtime.ts';
import { listMembers, listMyWorkspaces, type Role, userEmails } from '../workspaces/workspaces.ts';
import { extraOf, type Table } from './columns.ts';

/**
 * "Export my data": everything the account owns and every workspace it belongs to, as one JSON
 * document (this file) or a CSV of the tasks (tasks-csv.ts). The JSON is what import.ts reads back:
 * exporting and importing it into a new account gives the same projects, labels, tasks (status,
 * priority, due date, description, position, times), checklists and label assignments.
 *
 * Each workspace is read from its object after revalidating it (a GET never writes), one at a time,
 * so an export costs one workspace's memory at a time on top of the document itself.
 */

export const EXPORT_FORMAT = 'code-canvas-export';
export const EXPORT_VERSION = 1;

export interface ExportFile {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  /** Which schema the workspaces were read from (what this release knows). */
  schema: { workspace: number };
  account: { email: string; createdAt: string };
  workspaces: ExportedWorkspace[];
}

export interface ExportedWorkspace {
  name: string;
  personal: boolean;
  role: Role;
  createdAt: string;
  members: { email: string; role: Role }[];
  projects: ({ name: string; inbox: boolean; createdAt: string; updatedAt: string } & Extra)[];
  labels: ({ name: string; color: string; createdAt: string; updatedAt: string } & Extra)[];
  tasks: ExportedTask[];
}

interface TaskFields {
  title: string;
  description: string;
  status: string;
  priority: string;
  dueDate: string | null;
  project: string;
  labels: string[];
  position: number;
  checklist: ({
    text: string;
    done: boolean;
    position: number;
    createdAt: string;
    updatedAt: string;
  } & Extra)[];
  createdAt: string;
  updatedAt: string;
}

/** A task; `createdBy`/`updatedBy` are the emails of who made it and changed it last (null: a former member). */
export type ExportedTask = TaskFields & { createdBy: string | null; updatedBy: string | null } & Extra;

/** Columns a release does not name, camelCased (columns.ts). */
type Extra = Record<string, unknown>;
type Row = Record<string, unknown>;

/** A workspace's rows as read from its object, before user ids are turned into emails. */
interface WorkspaceRows {
  projects: ExportedWorkspace['projects'];
  labels: ExportedWorkspace['labels'];
  tasks: (TaskFields & { createdBy: number | null; updatedBy: number | null } & Extra)[];
}

/** Every row of one workspace object worth exporting (see the top of the file). */
export function readWorkspaceRows(db: Db): WorkspaceRows {
  const all = (table: Table, order: string) =>
    db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).all() as Row[];
  const projectNames = new Map<number, string>();
  const projects = all('projects', 'is_inbox DESC, name COLLATE NOCASE, id').map((r) => {
    projectNames.set(r.id as number, r.name as string);
    const known = ['name', 'inbox', 'createdAt', 'updatedAt'];
    return {
      name: r.name as string,
      inbox: r.is_inbox === 1,
      createdAt: r.created_at as string,
      updatedAt: r.updated_at as string,
      ...extraOf('projects', r, known),
    };
  });
  const labelNames = new Map<number, string>();
  const labels = all('labels', 'name COLLATE NOCASE, id').map((r) => {
    labelNames.set(r.id as number, r.name as string);
    return {
      name: r.name as string,
      color: r.color as string,
      createdAt: r.created_at as string,
      updatedAt: r.updated_at as string,
      ...extraOf('labels', r, ['name', 'color', 'createdAt', 'updatedAt']),
    };
  });
  const labelsOf = new Map<number, string[]>();
  for (const r of db.prepare('SELECT task_id, label_id FROM task_labels').all() as Row[]) {
    const name = labelNames.get(r.label_id as number);
    if (name === undefined) continue;
    const list = labelsOf.get(r.task_id as number) ?? [];
    list.push(name);
    labelsOf.set(r.task_id as number, list);
  }
  const checklistOf = new Map<number, ExportedTask['checklist']>();
  for (const r of all('checklist_items', 'task_id, position, id')) {
    const list = checklistOf.get(r.task_id as number) ?? [];
    list.push({
      text: r.text as string,
      done: r.done === 1,
      position: r.position as number,
      createdAt: r.created_at as string,
      updatedAt: r.updated_at as string,
      ...extraOf('checklist_items', r, ['text', 'done', 'position', 'createdAt', 'updatedAt']),
    });
    checklistOf.set(r.task_id as number, list);
  }
  const taskKeys = Object.keys({
    title: 0,
    description: 0,
    status: 0,
    priority: 0,
    dueDate: 0,
    project: 0,
    labels: 0,
    position: 0,
    checklist: 0,
    createdAt: 0,
    updatedAt: 0,
    createdBy: 0,
    updatedBy: 0,
  });
  const tasks = all(
    'tasks',
    "CASE status WHEN 'todo' THEN 0 WHEN 'doing' THEN 1 ELSE 2 END, position, id",
  ).map((r) => ({
    title: r.title as string,
    description: r.description as string,
    status: r.status as string,
    priority: r.priority as string,
    dueDate: (r.due_date as string | null) ?? null,
    project: projectNames.get(r.project_id as number) ?? '',
    labels: (labelsOf.get(r.id as number) ?? []).sort((a, b) => a.localeCompare(b)),
    position: r.position as number,
    checklist: checklistOf.get(r.id as number) ?? [],
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    createdBy: (r.created_by as number | null) ?? null,
    updatedBy: (r.updated_by as number | null) ?? null,
    ...extraOf('tasks', r, taskKeys),
  }));
  return { projects, labels, tasks };
}

/**
 * The export of `user`'s data as of `arrivedAt` (engine clock): the directory the middleware just
 * revalidated, and each workspace object revalidated in turn.
 */
export async function buildExport(
  rt: Runtime,
  user: User,
  arrivedAt: number,
  now = new Date(),
): Promise<ExportFile> {
  const { engine } = rt;
  const memberships = engine.directory.read((db) =>
    listMyWorkspaces(db, user.id).map((ws) => ({ ws, members: listMembers(db, ws.id) })),
  );
  const read: { ws: (typeof memberships)[number]; rows: WorkspaceRows }[] = [];
  for (const m of memberships) {
    const lease = await engine.workspace(m.ws.id);
    try {
      await lease.replica.ensureFresh(arrivedAt);
      read.push({ ws: m, rows: lease.replica.read(readWorkspaceRows) });
    } finally {
      lease.release();
    }
  }
  const ids = read.flatMap((r) => r.rows.tasks.flatMap((t) => [t.createdBy, t.updatedBy]));
  const emails = engine.directory.read((db) => userEmails(db, ids));
  const email = (id: number | null) => (id === null ? null : (emails.get(id) ?? null));
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: now.toISOString(),
    schema: { workspace: knownMigrations()[WORKSPACE] ?? 0 },
    account: { email: user.email, createdAt: user.createdAt },
    workspaces: read.map(({ ws: { ws, members }, rows }) => ({
      name: ws.name,
      personal: ws.id === user.personalWorkspaceId,
      role: ws.role,
      createdAt: ws.createdAt,
      members: members.map((m) => ({ email: m.email, role: m.role })),
      projects: rows.projects,
      labels: rows.labels,
      tasks: rows.tasks.map((t) => ({ ...t, createdBy: email(t.createdBy), updatedBy: email(t.updatedBy) })),
    })),
  };
}

/** `code-canvas-export-2026-01-31.json` (or `.csv`): the file name a download is saved under. */
export function exportFileName(now: Date, ext: 'json' | 'csv'): string {
  return `code-canvas-export-${now.toISOString().slice(0, 10)}.${ext}`;
}
