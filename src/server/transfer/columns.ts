import type { Statement } from 'better-sqlite3';
import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { parseText } from '../text.ts';
import type { Scalar } from './model.ts';

/**
 * Columns the export and import do not name. The workspace schema grows (checklists, labels and
 * positions came with one migration; more may follow): a column an export does not know by name
 * still travels, as `camelCase` of its name, and an import writes such a field into the column of
 * that name when this release's table has one. References (`id`, `…_id`, `…_by`) never travel:
 * ids mean nothing in another workspace. The table's own types and CHECK constraints judge the
 * values; what they refuse is a problem of the row, like any other.
 */

/** The tables whose rows an export carries, and the columns each knows by name. */
export const KNOWN_COLUMNS = {
  projects: ['name', 'is_inbox', 'created_at', 'updated_at'],
  labels: ['name', 'color', 'created_at', 'updated_at'],
  tasks: ['title', 'description', 'status', 'priority', 'due_date', 'position', 'created_at', 'updated_at'],
  checklist_items: ['text', 'done', 'position', 'created_at', 'updated_at'],
} as const;
export type Table = keyof typeof KNOWN_COLUMNS;

/** Longest text passed through an unnamed column (as long as a description). */
const EXTRA_TEXT_MAX = 10_000;

export function camelCase(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isReference(column: string): boolean {
  return column === 'id' || column.endsWith('_id') || column.endsWith('_by');
}

const columnCache = new WeakMap<Db, Map<string, Set<string>>>();

/** The columns `table` has in `db` (this release's schema, whatever migrations it has). */
export function tableColumns(db: Db, table: Table): Set<string> {
  let perDb = columnCache.get(db);
  if (!perDb) {
    perDb = new Map();
    columnCache.set(db, perDb);
  }
  let cols = perDb.get(table);
  if (!cols) {
    const rows = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[];
    cols = new Set(rows.map((r) => r.name));
    perDb.set(table, cols);
  }
  return cols;
}

/**
 * The columns of a stored row that an export does not know by name, camelCased. `taken`: keys the
 * export already uses for the row (an unnamed column never overwrites one of them).
 */
export function extraOf(
  table: Table,
  row: Record<string, unknown>,
  taken: readonly string[],
): Record<string, Scalar> {
  const known: readonly string[] = KNOWN_COLUMNS[table];
  const out: Record<string, Scalar> = {};
  for (const [column, value] of Object.entries(row)) {
    if (known.includes(column) || isReference(column)) continue;
    const key = camelCase(column);
    if (taken.includes(key)) continue;
    if (value === null || typeof value === 'string' || typeof value === 'number') out[key] = value;
    else if (typeof value === 'bigint') out[key] = Number(value);
  }
  return out;
}

/**
 * The fields of an imported object that name no field the import knows (`known`, camelCase),
 * checked as scalars: text by the rules of every text field (NFC, no control characters), booleans
 * as 0/1. Whether the target has such a column is decided when the row is written (insertRow).
 * AppError('invalid') naming the field for anything else.
 */
export function parseExtra(obj: Record<string, unknown>, known: readonly string[]): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (known.includes(key) || !/^[a-z][A-Za-z0-9]{0,62}$/.test(key)) continue;
    if (isReference(snakeCase(key))) continue;
    if (value === null) out[key] = null;
    else if (typeof value === 'boolean') out[key] = value ? 1 : 0;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else if (typeof value === 'string') {
      out[key] = parseText(value, { field: key, label: key, max: EXTRA_TEXT_MAX, multiline: true });
    } else {
      throw new AppError('invalid', `${key} must be text, a number, true/false or null.`, { field: key });
    }
  }
  return out;
}

const statementCache = new WeakMap<Db, Map<string, Statement<unknown[]>>>();

/**
 * Inserts a row into `table`: the named `values` (snake_case columns the code knows exist), plus
 * every `extra` field whose column the table has. Returns the new row's id. A value the table
 * refuses (a CHECK, a type) is AppError('invalid') saying which column, about `ref`.
 */
export function insertRow(
  db: Db,
  table: Table | 'task_labels',
  values: Record<string, unknown>,
  extra: Record<string, Scalar> = {},
  ref = '',
): number {
  const row: Record<string, unknown> = { ...values };
  if (table !== 'task_labels') {
    const cols = tableColumns(db, table);
    for (const [key, value] of Object.entries(extra)) {
      const column = snakeCase(key);
      if (cols.has(column) && !(column in row)) row[column] = value;
    }
  }
  const columns = Object.keys(row);
  const sql = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  let perDb = statementCache.get(db);
  if (!perDb) {
    perDb = new Map();
    statementCache.set(db, perDb);
  }
  let stmt = perDb.get(sql);
  if (!stmt) {
    stmt = db.prepare<unknown[]>(sql);
    perDb.set(sql, stmt);
  }
  try {
    return Number(stmt.run(...columns.map((c) => row[c])).lastInsertRowid);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
      throw new AppError('invalid', `${ref}: ${refusal(err as Error)}`, { field: 'file' });
    }
    throw err;
  }
}

/** A constraint failure as a person can read it: which column, and that its value is not accepted. */
function refusal(err: Error): string {
  const check = /CHECK constraint failed: (.+)$/.exec(err.message);
  if (check) {
    const column = /^\s*"?([a-z_]+)"?/.exec(check[1] ?? '')?.[1];
    return column
      ? `its ${camelCase(column)} is not a value this app accepts (${check[1]}).`
      : `a value is not accepted (${check[1]}).`;
  }
  return `a value is not accepted (${err.message}).`;
}
