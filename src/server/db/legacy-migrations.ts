import { randomBytes } from 'node:crypto';

import type { Migration } from './migrate.ts';

/**
 * The schema of the single database object every release before workspaces kept (CC_DB_KEY):
 * accounts, projects and tasks together. No server opens it any more; split-legacy.ts reads it
 * once to build the directory and the personal workspaces, and the tests build fixtures with it.
 * Frozen: it describes what those releases wrote.
 */
export const legacyMigrations: Migration[] = [
  {
    id: 1,
    name: 'accounts, projects and tasks',
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE users (
          id            INTEGER PRIMARY KEY,
          email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
          password_hash TEXT NOT NULL,
          created_at    TEXT NOT NULL
        ) STRICT;

        CREATE TABLE projects (
          id         INTEGER PRIMARY KEY,
          user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          name       TEXT NOT NULL,
          is_inbox   INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX projects_user_name ON projects(user_id, name COLLATE NOCASE);

        CREATE TABLE tasks (
          id          INTEGER PRIMARY KEY,
          user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          title       TEXT NOT NULL,
          description TEXT NOT NULL DEFAULT '',
          status      TEXT NOT NULL CHECK (status IN ('todo', 'doing', 'done')),
          priority    TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high')),
          due_date    TEXT CHECK (due_date IS NULL OR due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
          created_at  TEXT NOT NULL,
          updated_at  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX tasks_user_status ON tasks(user_id, status);
        CREATE INDEX tasks_project ON tasks(project_id);
      `);
      // One signing key for session cookies, shared by every instance because it travels with the
      // database (used when CC_SESSION_SECRET is not set).
      db.prepare("INSERT INTO meta (key, value) VALUES ('session_key', ?)").run(
        randomBytes(32).toString('hex'),
      );
    },
  },
];
