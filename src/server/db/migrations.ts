import { randomBytes } from 'node:crypto';
import type { Db } from '../persistence/sqlite-file.ts';

/**
 * Numbered migrations, applied in order at start inside the cold-start transaction (and uploaded
 * only if one ran). Never edit a migration that has shipped: add the next number.
 */
export interface Migration {
  id: number;
  name: string;
  up: (db: Db) => void;
}

export const migrations: Migration[] = [
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

/**
 * The migrations this release knows, by kind: the highest id of each list. A database migrated by
 * a release that knows more of any kind cannot be opened by this one (migrate() refuses it), so the
 * deploy records this in every published version and `rollback` refuses to go back past one.
 * Kinds are lowercase words; ids are whole numbers. Keep every kind once returned (a kind that is
 * missing counts as 0): code that drops `app` would be refused against versions that recorded it.
 */
export function knownMigrations(): Record<string, number> {
  return { app: Math.max(0, ...migrations.map((m) => m.id)) };
}
