import type { Db } from '../persistence/sqlite-file.ts';
import { databaseBytes, type WorkspaceQuota } from '../tasks/quota.ts';
import { insertRow } from './columns.ts';
import {
  type ImportLabel,
  type ImportProject,
  ImportRejected,
  type ImportWorkspace,
  type Problem,
} from './model.ts';

/**
 * Puts what an import brings into one workspace's database, inside the caller's transaction (a
 * workspace write, or the creation of a new workspace object): it all lands, or none of it does.
 *
 * - Projects and labels merge by name, ignoring case: tasks of an exported "Home" go into the
 *   workspace's "Home" if it has one; the exported Inbox goes into the Inbox. Names it lacks are
 *   created (labels with their colour, or gray when only a task names them).
 * - Tasks are always added, with their checklists and labels; their position, times and text as
 *   the file has them; the importer as the one who made and last changed them. Tasks without a
 *   position (a CSV) go to the end of their column, in the file's order.
 * - The workspace's limits hold (tasks, projects, bytes: CC_QUOTA_*): an import that does not fit
 *   is refused whole, saying how much would fit, and changes nothing.
 */

export interface MergeCounts {
  tasks: number;
  checklistItems: number;
  /** Projects it created (names that matched an existing project are not counted). */
  projects: string[];
  /** Labels it created. */
  labels: string[];
}

export interface MergeOptions {
  quota: WorkspaceQuota;
  /** The workspace's name, for messages. */
  name: string;
  now?: Date;
}

const key = (name: string) => name.toLocaleLowerCase('en');

/** Imports `sources` into the workspace database `db` as `actor` (see the top of the file). */
export function importInto(
  db: Db,
  actor: number,
  sources: ImportWorkspace[],
  opts: MergeOptions,
): MergeCounts {
  const now = (opts.now ?? new Date()).toISOString();
  const where = `“${opts.name}”`;
  const projects = resolveProjects(db, sources);
  const labels = resolveLabels(db, sources);
  assertFits(db, opts, where, {
    tasks: sources.reduce((n, s) => n + s.tasks.length, 0),
    projects: projects.created.length,
  });

  for (const p of projects.created) {
    const id = insertRow(
      db,
      'projects',
      {
        name: p.name,
        is_inbox: 0,
        created_at: p.createdAt ?? now,
        updated_at: p.updatedAt ?? p.createdAt ?? now,
      },
      p.extra,
      p.ref,
    );
    projects.ids.set(key(p.name), id);
  }
  for (const l of labels.created) {
    const id = insertRow(
      db,
      'labels',
      {
        name: l.name,
        color: l.color,
        created_at: l.createdAt ?? now,
        updated_at: l.updatedAt ?? l.createdAt ?? now,
      },
      l.extra,
      l.ref,
    );
    labels.ids.set(key(l.name), id);
  }

  const lastPosition = db.prepare('SELECT max(position) AS p FROM tasks WHERE status = ?');
  const nextPosition = new Map<string, number>();
  let tasks = 0;
  let checklistItems = 0;
  for (const source of sources) {
    for (const t of source.tasks) {
      let position = t.position;
      if (position === undefined) {
        const last =
          nextPosition.get(t.status) ?? (lastPosition.get(t.status) as { p: number | null }).p ?? 0;
        position = last + 1;
        nextPosition.set(t.status, position);
      }
      const projectId = t.project === null ? projects.inbox : (projects.ids.get(key(t.project)) as number);
      const createdAt = t.createdAt ?? now;
      const taskId = insertRow(
        db,
        'tasks',
        {
          project_id: projectId,
          title: t.title,
          description: t.description,
          status: t.status,
          priority: t.priority,
          due_date: t.dueDate,
          position,
          created_by: actor,
          updated_by: actor,
          created_at: createdAt,
          updated_at: t.updatedAt ?? createdAt,
        },
        t.extra,
        t.ref,
      );
      for (const name of t.labels) {
        insertRow(db, 'task_labels', { task_id: taskId, label_id: labels.ids.get(key(name)) });
      }
      t.checklist.forEach((c, i) => {
        const at = c.createdAt ?? createdAt;
        insertRow(
          db,
          'checklist_items',
          {
            task_id: taskId,
            text: c.text,
            done: c.done ? 1 : 0,
            position: c.position ?? i + 1,
            created_at: at,
            updated_at: c.updatedAt ?? at,
          },
          c.extra,
          c.ref,
        );
      });
      checklistItems += t.checklist.length;
      tasks++;
    }
  }

  const bytes = databaseBytes(db);
  if (bytes > opts.quota.bytes) {
    throw reject(
      `${where} would take ${mb(bytes)}, more than its limit of ${mb(opts.quota.bytes)}. Import fewer tasks, or delete some first.`,
      where,
    );
  }
  return {
    tasks,
    checklistItems,
    projects: projects.created.map((p) => p.name),
    labels: labels.created.map((l) => l.name),
  };
}

interface Resolved<T> {
  /** Lower-cased name → id, for names the workspace already has (filled in as new ones are made). */
  ids: Map<string, number>;
  /** What has to be created, once per name, in the order first met. */
  created: T[];
}

function resolveProjects(db: Db, sources: ImportWorkspace[]): Resolved<ImportProject> & { inbox: number } {
  const rows = db.prepare('SELECT id, name, is_inbox FROM projects ORDER BY is_inbox DESC, id').all() as {
    id: number;
    name: string;
    is_inbox: number;
  }[];
  const inbox = rows.find((r) => r.is_inbox === 1)?.id ?? (rows[0]?.id as number);
  const ids = new Map(rows.map((r) => [key(r.name), r.id]));
  const created: ImportProject[] = [];
  const want = (p: ImportProject) => {
    if (!ids.has(key(p.name)) && !created.some((c) => key(c.name) === key(p.name))) created.push(p);
  };
  for (const s of sources) {
    for (const p of s.projects) {
      // Whatever the exported Inbox was called, its tasks belong in this Inbox.
      if (p.inbox) ids.set(key(p.name), inbox);
      else want(p);
    }
    for (const t of s.tasks) {
      if (t.project !== null) want({ ref: t.ref, name: t.project, inbox: false, extra: {} });
    }
  }
  return { ids, created, inbox };
}

function resolveLabels(db: Db, sources: ImportWorkspace[]): Resolved<ImportLabel> {
  const rows = db.prepare('SELECT id, name FROM labels').all() as { id: number; name: string }[];
  const ids = new Map(rows.map((r) => [key(r.name), r.id]));
  const created: ImportLabel[] = [];
  const want = (l: ImportLabel) => {
    if (!ids.has(key(l.name)) && !created.some((c) => key(c.name) === key(l.name))) created.push(l);
  };
  for (const s of sources) {
    for (const l of s.labels) want(l);
    for (const t of s.tasks)
      for (const name of t.labels) want({ ref: t.ref, name, color: 'gray', extra: {} });
  }
  return { ids, created };
}

/** Refuses, before writing anything, an import the workspace has no room for (counts and bytes). */
function assertFits(
  db: Db,
  opts: MergeOptions,
  where: string,
  adding: { tasks: number; projects: number },
): void {
  const { quota } = opts;
  const bytes = databaseBytes(db);
  if (bytes >= quota.bytes) {
    throw reject(`${where} is full (${mb(bytes)} of ${mb(quota.bytes)}). Delete some tasks first.`, where);
  }
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const tasks = count('tasks');
  if (tasks + adding.tasks > quota.tasks) {
    throw reject(
      `This import brings ${n(adding.tasks)} tasks, but ${where} has room for ${n(Math.max(0, quota.tasks - tasks))} more (its limit is ${n(quota.tasks)}).`,
      where,
    );
  }
  const projects = count('projects');
  if (projects + adding.projects > quota.projects) {
    throw reject(
      `This import makes ${n(adding.projects)} new projects, but ${where} has room for ${n(Math.max(0, quota.projects - projects))} more (its limit is ${n(quota.projects)}).`,
      where,
    );
  }
}

function reject(message: string, where: string): ImportRejected {
  const problem: Problem = { where, message };
  return new ImportRejected('quota_exceeded', `${message} Nothing was imported.`, [problem]);
}

const n = (x: number) => x.toLocaleString('en');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
