import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/server/db/migrate.ts';
import { directoryMigrations, knownMigrations, workspaceMigrations } from '../../src/server/db/migrations.ts';

describe('workspace schema', () => {
  it('gives cards made before manual order positions that keep their order by recency, newest first', () => {
    const db = new Database(':memory:');
    migrate(db, workspaceMigrations.slice(0, 1));
    db.prepare(
      "INSERT INTO projects (name, is_inbox, created_at, updated_at) VALUES ('Inbox', 1, 'x', 'x')",
    ).run();
    const insert = db.prepare(
      "INSERT INTO tasks (project_id, title, status, priority, created_at, updated_at) VALUES (1, ?, 'todo', 'normal', ?, ?)",
    );
    insert.run('oldest', '2026-01-01T10:00:00.000Z', '2026-01-01T10:00:00.000Z');
    insert.run('newest', '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.000Z');
    insert.run('middle', '2026-02-01T10:00:00.000Z', '2026-02-01T10:00:00.000Z');
    expect(migrate(db, workspaceMigrations)).toEqual([2]);
    const order = db.prepare('SELECT title FROM tasks ORDER BY position').all();
    expect(order).toEqual([{ title: 'newest' }, { title: 'middle' }, { title: 'oldest' }]);
  });

  it('keeps labels to the accessible palette and removes a task’s checklist and labels with it', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, workspaceMigrations);
    const insertLabel = db.prepare(
      "INSERT INTO labels (name, color, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
    );
    expect(() => insertLabel.run('Odd', 'chartreuse')).toThrow(/CHECK/);
    insertLabel.run('Urgent', 'red');
    expect(() => insertLabel.run('urgent', 'blue')).toThrow(/UNIQUE/);
    db.prepare(
      "INSERT INTO projects (name, is_inbox, created_at, updated_at) VALUES ('Inbox', 1, 'x', 'x')",
    ).run();
    db.prepare(
      "INSERT INTO tasks (project_id, title, status, priority, created_at, updated_at) VALUES (1, 't', 'todo', 'normal', 'x', 'x')",
    ).run();
    db.prepare(
      "INSERT INTO checklist_items (task_id, text, position, created_at, updated_at) VALUES (1, 'a', 1, 'x', 'x')",
    ).run();
    db.prepare('INSERT INTO task_labels (task_id, label_id) VALUES (1, 1)').run();
    db.prepare('DELETE FROM tasks WHERE id = 1').run();
    expect(db.prepare('SELECT count(*) AS n FROM checklist_items').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM task_labels').get()).toEqual({ n: 0 });
  });

  it('keeps idempotency keys in both kinds of object, and says what this release knows', () => {
    for (const migrations of [directoryMigrations, workspaceMigrations]) {
      const db = new Database(':memory:');
      migrate(db, migrations);
      expect(
        db.prepare("SELECT name FROM sqlite_schema WHERE name = 'idempotency_keys'").get(),
      ).toBeDefined();
    }
    expect(knownMigrations()).toEqual({ app: 1, directory: 2, workspace: 2 });
  });
});
