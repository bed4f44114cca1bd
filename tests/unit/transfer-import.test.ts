import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/server/db/migrate.ts';
import { workspaceMigrations } from '../../src/server/db/migrations.ts';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import { createProject, INBOX } from '../../src/server/tasks/projects.ts';
import { EXPORT_FORMAT, readWorkspaceRows } from '../../src/server/transfer/export.ts';
import { parseExportJson } from '../../src/server/transfer/import-json.ts';
import { importInto } from '../../src/server/transfer/merge.ts';
import { ImportRejected } from '../../src/server/transfer/model.ts';

const QUOTA = { tasks: 100, projects: 10, bytes: 20 * 1024 * 1024 };

function workspace(): Db {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, workspaceMigrations);
  createProject(db, INBOX, { isInbox: true, now: new Date('2026-01-01T00:00:00.000Z') });
  return db;
}

/** A workspace with a bit of everything: projects, labels, checklists, positions, odd text. */
function seeded(): Db {
  const db = workspace();
  const at = '2026-01-02T03:04:05.678Z';
  db.prepare("INSERT INTO projects (name, is_inbox, created_at, updated_at) VALUES ('Home', 0, ?, ?)").run(
    at,
    at,
  );
  db.prepare("INSERT INTO labels (name, color, created_at, updated_at) VALUES ('Urgent', 'red', ?, ?)").run(
    at,
    at,
  );
  db.prepare("INSERT INTO labels (name, color, created_at, updated_at) VALUES ('Later', 'blue', ?, ?)").run(
    at,
    at,
  );
  const task = db.prepare(
    `INSERT INTO tasks (project_id, title, description, status, priority, due_date, position, created_by, updated_by, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 7, 8, ?, ?)`,
  );
  task.run(
    1,
    'Pay rent',
    'by *Friday*\nnot later',
    'todo',
    'high',
    '2026-02-01',
    -5.5,
    at,
    '2026-01-03T00:00:00.000Z',
  );
  task.run(2, 'Fix the “tap” 🚰', '', 'doing', 'low', null, 3, at, at);
  task.run(2, 'Done thing', '', 'done', 'normal', null, 0.25, at, at);
  db.prepare('INSERT INTO task_labels (task_id, label_id) VALUES (1, 1), (1, 2), (2, 2)').run();
  const item = db.prepare(
    'INSERT INTO checklist_items (task_id, text, done, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  item.run(1, 'find the IBAN', 1, 1, at, at);
  item.run(1, 'transfer', 0, 2, at, at);
  item.run(2, 'buy washer', 0, 1.5, at, at);
  return db;
}

/** What readWorkspaceRows gives, as an export of one personal workspace would carry it. */
function exportOf(db: Db): string {
  const rows = readWorkspaceRows(db);
  return JSON.stringify({
    format: EXPORT_FORMAT,
    version: 1,
    workspaces: [
      {
        name: 'Personal',
        personal: true,
        ...rows,
        tasks: rows.tasks.map((t) => ({ ...t, createdBy: null, updatedBy: null })),
      },
    ],
  });
}

const withoutAuthors = (db: Db) =>
  readWorkspaceRows(db).tasks.map(({ createdBy: _, updatedBy: __, ...t }) => t);

describe('import of an export', () => {
  it('gives a fresh workspace the same projects, labels, tasks, checklists and positions', () => {
    const source = seeded();
    const parsed = parseExportJson(exportOf(source));
    expect(parsed.problems).toEqual([]);
    const target = workspace();
    const counts = importInto(target, 42, parsed.workspaces, { quota: QUOTA, name: 'Personal' });
    expect(counts).toEqual({ tasks: 3, checklistItems: 3, projects: ['Home'], labels: ['Later', 'Urgent'] });
    expect(withoutAuthors(target)).toEqual(withoutAuthors(source));
    expect(readWorkspaceRows(target).labels).toEqual(readWorkspaceRows(source).labels);
    expect(readWorkspaceRows(target).projects.map((p) => p.name)).toEqual(['Inbox', 'Home']);
    // The importer made them.
    expect(readWorkspaceRows(target).tasks.every((t) => t.createdBy === 42 && t.updatedBy === 42)).toBe(true);
  });

  it('merges into a workspace that has projects and labels of the same names, ignoring case', () => {
    const target = workspace();
    target
      .prepare("INSERT INTO projects (name, is_inbox, created_at, updated_at) VALUES ('HOME', 0, 'x', 'x')")
      .run();
    target
      .prepare(
        "INSERT INTO labels (name, color, created_at, updated_at) VALUES ('urgent', 'green', 'x', 'x')",
      )
      .run();
    const parsed = parseExportJson(exportOf(seeded()));
    const counts = importInto(target, 1, parsed.workspaces, { quota: QUOTA, name: 'Personal' });
    expect(counts.projects).toEqual([]);
    expect(counts.labels).toEqual(['Later']);
    const rows = readWorkspaceRows(target);
    expect(rows.projects.map((p) => p.name)).toEqual(['Inbox', 'HOME']);
    expect(rows.tasks.find((t) => t.title === 'Pay rent')?.labels).toEqual(['Later', 'urgent']);
  });

  it('carries a column this code does not name, into a workspace whose schema has it, and leaves it out elsewhere', () => {
    const source = seeded();
    source.exec('ALTER TABLE tasks ADD COLUMN estimate_minutes INTEGER');
    source.exec('ALTER TABLE checklist_items ADD COLUMN note TEXT');
    source.prepare("UPDATE tasks SET estimate_minutes = 90 WHERE title = 'Pay rent'").run();
    source.prepare("UPDATE checklist_items SET note = 'ask bank' WHERE text = 'transfer'").run();
    const json = exportOf(source);
    expect(JSON.parse(json).workspaces[0].tasks[0]).toMatchObject({ title: 'Pay rent', estimateMinutes: 90 });
    const newer = workspace();
    newer.exec('ALTER TABLE tasks ADD COLUMN estimate_minutes INTEGER');
    newer.exec('ALTER TABLE checklist_items ADD COLUMN note TEXT');
    importInto(newer, 1, parseExportJson(json).workspaces, { quota: QUOTA, name: 'P' });
    expect(withoutAuthors(newer)).toEqual(withoutAuthors(source));
    const older = workspace();
    importInto(older, 1, parseExportJson(json).workspaces, { quota: QUOTA, name: 'P' });
    expect(readWorkspaceRows(older).tasks).toHaveLength(3);
  });

  it('refuses what does not fit, saying how much would, and writes nothing', () => {
    const target = workspace();
    const parsed = parseExportJson(exportOf(seeded()));
    const tx = target.transaction(() =>
      importInto(target, 1, parsed.workspaces, { quota: { ...QUOTA, tasks: 2 }, name: 'Personal' }),
    );
    let err: unknown;
    try {
      tx();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImportRejected);
    expect((err as ImportRejected).code).toBe('quota_exceeded');
    expect((err as ImportRejected).message).toMatch(/brings 3 tasks, but “Personal” has room for 2 more/);
    expect(target.prepare('SELECT count(*) AS n FROM tasks').get()).toEqual({ n: 0 });
    expect(target.prepare('SELECT count(*) AS n FROM projects').get()).toEqual({ n: 1 });
  });

  it('turns a value the schema refuses (a colour outside the palette) into a problem naming the label', () => {
    const json = JSON.parse(exportOf(seeded()));
    json.workspaces[0].labels[0].color = 'chartreuse';
    expect(() =>
      importInto(workspace(), 1, parseExportJson(JSON.stringify(json)).workspaces, {
        quota: QUOTA,
        name: 'P',
      }),
    ).toThrow(/label 1: its color is not a value this app accepts/);
  });
});

describe('reading an export', () => {
  it('lists every problem with where it is', () => {
    const json = JSON.parse(exportOf(seeded()));
    json.workspaces[0].tasks[0].status = 'someday';
    json.workspaces[0].tasks[1].dueDate = '2026-02-30';
    json.workspaces[0].tasks[2].title = '';
    json.workspaces[0].tasks[2].checklist = [{ text: 'x', done: 'yes' }];
    const { problems } = parseExportJson(JSON.stringify(json));
    expect(problems).toEqual([
      {
        where: 'Workspace 1 (“Personal”), task 1 (“Pay rent”)',
        field: 'status',
        message: 'Status must be one of: todo, doing, done.',
      },
      {
        where: 'Workspace 1 (“Personal”), task 2 (“Fix the “tap” 🚰”)',
        field: 'dueDate',
        message: '2026-02-30 is not a real date.',
      },
      { where: 'Workspace 1 (“Personal”), task 3', field: 'title', message: 'Title is required.' },
      {
        where: 'Workspace 1 (“Personal”), task 3, checklist item 1',
        field: 'done',
        message: 'done must be true or false.',
      },
    ]);
  });

  it('says what is wrong with a file that is not an export of this app', () => {
    const problem = (text: string) => parseExportJson(text).problems[0]?.message;
    expect(problem('{"tasks": [')).toMatch(/^The file is not valid JSON/);
    expect(problem('{"tasks": []}')).toMatch(/not a Code Canvas export/);
    expect(problem(`{"format": "${EXPORT_FORMAT}", "version": 2, "workspaces": []}`)).toMatch(
      /newer release/,
    );
    expect(problem(`{"format": "${EXPORT_FORMAT}", "version": 1, "workspaces": []}`)).toMatch(
      /no workspaces/,
    );
  });
});
