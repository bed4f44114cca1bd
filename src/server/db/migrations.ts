import { legacyMigrations } from './legacy-migrations.ts';
import type { Migration } from './migrate.ts';

/**
 * The two kinds of database object and their schemas. Each kind's migrations are numbered on their
 * own; a release knows up to the highest number of each (`knownMigrations`), and refuses an
 * object that has a migration it does not know. Every object records its kind in `meta.kind`, so
 * a file can never be opened (or pushed by an operator) as the other kind.
 *
 * - The directory (one object): accounts and credentials, sessions, workspaces, who belongs to
 *   each, and pending invitations. Every request reads it (sessions, membership).
 * - A workspace (one object each): its projects and tasks. `created_by`/`updated_by` are user ids
 *   of the directory (no foreign key can cross objects; a deleted account shows as "a former member").
 */

export const DIRECTORY = 'directory';
export const WORKSPACE = 'workspace';
export type DbKind = typeof DIRECTORY | typeof WORKSPACE;

/**
 * Idempotency keys (API `Idempotency-Key`, and the one-time tokens of forms), kept in the object
 * the change they guard lives in, written in the same transaction as the change: a change and its
 * key are stored together or not at all. `scope` is `<user id>:api` or `<user id>:form`;
 * `fingerprint` the hash of the request the key was first used with; the answer is kept to be given
 * again. Purged after the keys' lifetime (CC_IDEMPOTENCY_TTL_HOURS).
 */
const IDEMPOTENCY_TABLE = `
  CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT,
    location    TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (scope, key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
`;

export const directoryMigrations: Migration[] = [
  {
    id: 1,
    name: 'accounts, sessions, workspaces, memberships, invitations',
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
        INSERT INTO meta (key, value) VALUES ('kind', 'directory');

        CREATE TABLE users (
          id                    INTEGER PRIMARY KEY,
          email                 TEXT NOT NULL UNIQUE COLLATE NOCASE,
          password_hash         TEXT NOT NULL,
          personal_workspace_id TEXT NOT NULL,
          created_at            TEXT NOT NULL
        ) STRICT;

        CREATE TABLE sessions (
          id_hash    TEXT PRIMARY KEY,
          user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX sessions_user ON sessions(user_id);

        CREATE TABLE workspaces (
          id         TEXT PRIMARY KEY,
          name       TEXT NOT NULL,
          personal   INTEGER NOT NULL DEFAULT 0,
          created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE memberships (
          workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          role         TEXT NOT NULL CHECK (role IN ('owner', 'member')),
          created_at   TEXT NOT NULL,
          PRIMARY KEY (workspace_id, user_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX memberships_user ON memberships(user_id);

        CREATE TABLE invitations (
          id           TEXT PRIMARY KEY,
          workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
          email        TEXT NOT NULL COLLATE NOCASE,
          invited_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
          created_at   TEXT NOT NULL,
          UNIQUE (workspace_id, email)
        ) STRICT;
        CREATE INDEX invitations_email ON invitations(email);
      `);
    },
  },
  {
    id: 2,
    name: 'idempotency keys',
    up: (db) => db.exec(IDEMPOTENCY_TABLE),
  },
];

export const workspaceMigrations: Migration[] = [
  {
    id: 1,
    name: 'projects and tasks',
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
        INSERT INTO meta (key, value) VALUES ('kind', 'workspace');

        CREATE TABLE projects (
          id         INTEGER PRIMARY KEY,
          name       TEXT NOT NULL,
          is_inbox   INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX projects_name ON projects(name COLLATE NOCASE);

        CREATE TABLE tasks (
          id          INTEGER PRIMARY KEY,
          project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          title       TEXT NOT NULL,
          description TEXT NOT NULL DEFAULT '',
          status      TEXT NOT NULL CHECK (status IN ('todo', 'doing', 'done')),
          priority    TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high')),
          due_date    TEXT CHECK (due_date IS NULL OR due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
          created_by  INTEGER,
          updated_by  INTEGER,
          created_at  TEXT NOT NULL,
          updated_at  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX tasks_status ON tasks(status);
        CREATE INDEX tasks_project ON tasks(project_id);
      `);
    },
  },
  {
    id: 2,
    name: 'card positions, checklists, labels, the trash, idempotency keys',
    up: (db) => {
      db.exec(`
        -- Manual order within a status column: fractional positions, so a move writes one row;
        -- rebalanced rarely (when two neighbours come too close). Existing cards keep the order
        -- they had by recency: newer first.
        ALTER TABLE tasks ADD COLUMN position REAL NOT NULL DEFAULT 0;
        UPDATE tasks SET position = -(unixepoch(updated_at, 'subsec') * 1000 + id);
        CREATE INDEX tasks_status_position ON tasks(status, position);

        CREATE TABLE checklist_items (
          id         INTEGER PRIMARY KEY,
          task_id    INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
          text       TEXT NOT NULL,
          done       INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
          position   REAL NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX checklist_items_task ON checklist_items(task_id, position);

        -- A workspace's labels: a name and one colour of a fixed, accessible palette (shown with
        -- the name as text, never by colour alone).
        CREATE TABLE labels (
          id         INTEGER PRIMARY KEY,
          name       TEXT NOT NULL,
          color      TEXT NOT NULL CHECK (color IN ('gray', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink')),
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX labels_name ON labels(name COLLATE NOCASE);
        CREATE TABLE task_labels (
          task_id  INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
          label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
          PRIMARY KEY (task_id, label_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX task_labels_label ON task_labels(label_id);

        -- Deleted tasks and projects, whole (a JSON snapshot: the rows with their checklist items,
        -- labels and positions), so that Undo puts back exactly what was there. Purged once the undo
        -- window has passed: no unbounded tombstones, and no query elsewhere has to skip them.
        CREATE TABLE trash (
          id         INTEGER PRIMARY KEY,
          kind       TEXT NOT NULL CHECK (kind IN ('task', 'project')),
          item_id    INTEGER NOT NULL,
          title      TEXT NOT NULL,
          snapshot   TEXT NOT NULL,
          deleted_by INTEGER,
          deleted_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX trash_deleted_at ON trash(deleted_at);
      `);
      db.exec(IDEMPOTENCY_TABLE);
    },
  },
];

/**
 * The migrations this release knows, by kind: the highest id of each list. An object migrated by a
 * release that knows more of its kind cannot be opened by this one (migrate() refuses it), so the
 * deploy records this in every published version and `rollback` refuses to go back past one.
 * Kinds are lowercase words; ids are whole numbers. Keep every kind once returned (a kind that is
 * missing counts as 0): `app` is the single database of releases before workspaces, which this
 * release no longer opens but still knows (it splits it, legacy-migrations.ts).
 */
export function knownMigrations(): Record<string, number> {
  return {
    app: Math.max(0, ...legacyMigrations.map((m) => m.id)),
    [DIRECTORY]: Math.max(...directoryMigrations.map((m) => m.id)),
    [WORKSPACE]: Math.max(...workspaceMigrations.map((m) => m.id)),
  };
}
