import Database from 'better-sqlite3';
import type { ObjectKind } from '../persistence/replica.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { migrate } from './migrate.ts';
import {
  type DbKind,
  DIRECTORY,
  directoryMigrations,
  knownMigrations,
  WORKSPACE,
  workspaceMigrations,
} from './migrations.ts';

/**
 * The directory and workspace kinds for the engine: their migrations, run when an object is opened,
 * followed by a check that the object really is that kind (a workspace file stored under the
 * directory's key, or the reverse, is refused instead of being migrated into a hybrid).
 */
export function objectKind(kind: DbKind, onApplied?: (kind: DbKind, ids: number[]) => void): ObjectKind {
  const migrations = kind === DIRECTORY ? directoryMigrations : workspaceMigrations;
  return {
    name: kind,
    migrate: (db: Db) => {
      const found = kindOf(db);
      if (found !== undefined && found !== kind) {
        throw new Error(`this object holds a ${found} database, not a ${kind}`);
      }
      const applied = migrate(db, migrations);
      if (applied.length > 0) onApplied?.(kind, applied);
    },
  };
}

/** `meta.kind` of a database, or undefined when it has none (empty, legacy, or foreign). */
export function kindOf(db: Db): string | undefined {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return undefined;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'kind'").get() as { value: string } | undefined;
  return row?.value;
}

/**
 * Why the SQLite file at `path` cannot be this release's `kind` object, or null when it can: it
 * must say it is that kind and have no migration newer than this release knows. For operator
 * commands that put a file in place (`db push`), so that an empty file, another app's database or a
 * newer release's object never becomes what every instance serves.
 */
export function schemaProblem(path: string, kind: DbKind): string | null {
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const found = kindOf(db);
    if (found === undefined) return `it is not a Code Canvas ${kind} database (no meta.kind)`;
    if (found !== kind) return `it is a ${found} database, not a ${kind}`;
    const row = db.prepare('SELECT max(id) AS id FROM schema_migrations').get() as { id: number | null };
    const newest = knownMigrations()[kind];
    if ((row.id ?? 0) > (newest ?? 0)) {
      return `it has ${kind} migration ${row.id} but this release knows only up to ${newest}`;
    }
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    db?.close();
  }
}

export { type DbKind, DIRECTORY, WORKSPACE };
