import Database from 'better-sqlite3';
import { migrate } from '../../src/server/db/migrate.ts';
import { workspaceMigrations } from '../../src/server/db/migrations.ts';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import { createProject, INBOX } from '../../src/server/tasks/projects.ts';

/** A fresh, migrated workspace database in memory, with its Inbox. */
export function workspaceDb(): Db {
  const db = new Database(':memory:');
  migrate(db, workspaceMigrations);
  createProject(db, INBOX, { isInbox: true });
  return db;
}
