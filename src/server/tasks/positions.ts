import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';

/**
 * Manual order, for cards in a status column and items in a checklist: each row has a fractional
 * `position`, lower first (ties, which only a client's own numbers can make, go by id).
 *
 * 1. Placing a row writes that one row: its new position is the midpoint of its new neighbours'
 *    (or one step past the end), so a move is one UPDATE, not a renumbering.
 * 2. Midpoints halve the gap each time; when a gap gets too small to split (relative to the
 *    numbers' size, so doubles never collide), the one scope (one column, one checklist) is
 *    renumbered STEP apart, in its current order with the row in its new place. That is rare:
 *    some 40 moves into the same gap.
 * 3. A placement names a neighbour by id; a neighbour that is not in the same scope is bad input
 *    (400 naming `position`), never a silent misplacement.
 */

/** Where a row goes in its scope: first, last, just before or after another row, or at a raw position. */
export type Placement = 'first' | 'last' | { before: number } | { after: number } | number;

/** The ordered tables, and the column that splits each into scopes. */
export const ORDERED = {
  tasks: { table: 'tasks', scope: 'status', noun: 'task' },
  checklist: { table: 'checklist_items', scope: 'task_id', noun: 'checklist item' },
} as const;
type OrderedSpec = (typeof ORDERED)[keyof typeof ORDERED];

/** Distance between neighbours after a renumbering (and past either end). */
export const STEP = 1024;
/** Smallest gap kept, relative to the positions' size: 2^-40, far above a double's precision. */
const MIN_RELATIVE_GAP = 2 ** -40;

interface Row {
  id: number;
  position: number;
}

/** Parses a placement from JSON or a form: "first", "last", {before: id}, {after: id} or a finite number. */
export function parsePlacement(v: unknown, field = 'position'): Placement {
  if (v === 'first' || v === 'last') return v;
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e15) return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const o = v as Record<string, unknown>;
    if (keys.length === 1 && (keys[0] === 'before' || keys[0] === 'after')) {
      const id = o[keys[0]];
      if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) {
        return keys[0] === 'before' ? { before: id } : { after: id };
      }
    }
  }
  throw new AppError(
    'invalid',
    'Position must be "first", "last", {"before": id}, {"after": id} or a number.',
    { field },
  );
}

/** The position a new row gets at the top (`first`) or the bottom (`last`) of its scope. */
export function endPosition(db: Db, spec: OrderedSpec, scope: unknown, end: 'first' | 'last'): number {
  const agg = end === 'first' ? 'min' : 'max';
  const row = db
    .prepare(`SELECT ${agg}(position) AS p FROM ${spec.table} WHERE ${spec.scope} = ?`)
    .get(scope) as { p: number | null };
  if (row.p === null) return 0;
  return end === 'first' ? row.p - STEP : row.p + STEP;
}

/**
 * Puts row `id` at `placement` within `scope` (the row may come from another scope, e.g. a card
 * moving to another column: set its scope column first). Writes the one row, or renumbers the
 * scope when the gap is too small (see the top of this file).
 */
export function placeRow(db: Db, spec: OrderedSpec, scope: unknown, id: number, placement: Placement): void {
  const others = () =>
    db
      .prepare(
        `SELECT id, position FROM ${spec.table} WHERE ${spec.scope} = ? AND id != ? ORDER BY position, id`,
      )
      .all(scope, id) as Row[];
  if (placement === 'first' || placement === 'last') {
    setPosition(db, spec, id, endPositionExcept(db, spec, scope, id, placement));
    return;
  }
  if (typeof placement === 'number') {
    setPosition(db, spec, id, placement);
    const rows = others();
    const tooClose = rows.some((r) => !apart(r.position, placement));
    if (tooClose) {
      const index = rows.findIndex((r) => r.position > placement || (r.position === placement && r.id > id));
      renumber(db, spec, rows, id, index === -1 ? rows.length : index);
    }
    return;
  }
  const rows = others();
  const neighbourId = 'before' in placement ? placement.before : placement.after;
  const at = rows.findIndex((r) => r.id === neighbourId);
  if (at === -1) {
    throw new AppError(
      'invalid',
      neighbourId === id
        ? `A ${spec.noun} cannot be placed next to itself.`
        : `${capitalise(spec.noun)} ${neighbourId} is not in the same list, so nothing can go next to it.`,
      { field: 'position' },
    );
  }
  const index = 'before' in placement ? at : at + 1;
  const prev = rows[index - 1];
  const next = rows[index];
  let position: number;
  if (prev && next) position = (prev.position + next.position) / 2;
  else if (prev) position = prev.position + STEP;
  else position = (next as Row).position - STEP;
  if ((prev && !apart(prev.position, position)) || (next && !apart(position, next.position))) {
    renumber(db, spec, rows, id, index);
  } else {
    setPosition(db, spec, id, position);
  }
}

function endPositionExcept(
  db: Db,
  spec: OrderedSpec,
  scope: unknown,
  id: number,
  end: 'first' | 'last',
): number {
  const agg = end === 'first' ? 'min' : 'max';
  const row = db
    .prepare(`SELECT ${agg}(position) AS p FROM ${spec.table} WHERE ${spec.scope} = ? AND id != ?`)
    .get(scope, id) as { p: number | null };
  if (row.p === null) return 0;
  return end === 'first' ? row.p - STEP : row.p + STEP;
}

/** Whether two positions are far enough apart that a midpoint between them is still distinct. */
function apart(a: number, b: number): boolean {
  const scale = Math.max(Math.abs(a), Math.abs(b), 1);
  return Math.abs(b - a) > scale * MIN_RELATIVE_GAP;
}

/** Renumbers the scope STEP apart: `rows` in order, with row `id` inserted at `index`. */
function renumber(db: Db, spec: OrderedSpec, rows: Row[], id: number, index: number): void {
  const ids = rows.map((r) => r.id);
  ids.splice(index, 0, id);
  const update = db.prepare(`UPDATE ${spec.table} SET position = ? WHERE id = ?`);
  ids.forEach((rowId, i) => {
    update.run(i * STEP, rowId);
  });
}

function setPosition(db: Db, spec: OrderedSpec, id: number, position: number): void {
  db.prepare(`UPDATE ${spec.table} SET position = ? WHERE id = ?`).run(position, id);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
