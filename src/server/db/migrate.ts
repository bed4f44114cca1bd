import type { Db } from '../persistence/sqlite-file.ts';

/**
 * One numbered schema change. Migrations are applied in order at start (the directory) or when an
 * object is first opened (a workspace), inside the opening transaction, and uploaded only if one
 * ran. Never edit a migration that has shipped: add the next number.
 */
export interface Migration {
  id: number;
  name: string;
  up: (db: Db) => void;
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, in order, on `db` (the caller
 * owns the transaction). Returns the ids applied. Refuses a database from a newer release.
 */
export function migrate(db: Db, migrations: Migration[], now: () => Date = () => new Date()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const done = new Set(
    (db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id),
  );
  const newest = Math.max(0, ...migrations.map((m) => m.id));
  const unknown = [...done].filter((id) => id > newest);
  if (unknown.length > 0) {
    throw new Error(
      `the database has migration ${Math.max(...unknown)} but this release knows only up to ${newest}: deploy the newer release`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) continue;
    m.up(db);
    record.run(m.id, m.name, now().toISOString());
    applied.push(m.id);
  }
  return applied;
}
