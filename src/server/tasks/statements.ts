import type { Statement } from 'better-sqlite3';
import type { Db } from '../persistence/sqlite-file.ts';

// Compiling SQL costs more than running these small queries: a board compiles five per request.
// Per connection (the engine opens new ones after a restore), and bounded: the filters combine
// into a few dozen distinct statements at most.
const cache = new WeakMap<Db, Map<string, Statement>>();
const MAX_PER_DB = 200;

/** `db.prepare(sql)`, compiled once per connection. For read paths run on every page view. */
export function statement(db: Db, sql: string): Statement {
  let byText = cache.get(db);
  if (!byText) {
    byText = new Map();
    cache.set(db, byText);
  }
  let stmt = byText.get(sql);
  if (!stmt) {
    if (byText.size >= MAX_PER_DB) byText.clear();
    stmt = db.prepare(sql);
    byText.set(sql, stmt);
  }
  return stmt;
}
