import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import { parsePlacement } from '../../src/server/tasks/positions.ts';
import { createTask, listTasks, nudgeTask, updateTask } from '../../src/server/tasks/tasks.ts';
import { parseTaskFilter } from '../../src/server/tasks/validation.ts';
import { workspaceDb } from '../support/workspace-db.ts';

const ACTOR = 1;
let db: Db;
const column = (status = 'todo') =>
  listTasks(db, parseTaskFilter(new URLSearchParams(`status=${status}`), 'manual')).map((t) => t.title);
const idOf = (title: string) =>
  listTasks(db, { sort: 'recent' }).find((t) => t.title === title)?.id as number;

/** Counts the cards whose position a change moves, to prove a move rewrites one row, not the column. */
function countMoved(fn: () => void): number {
  const snapshot = () =>
    new Map(
      (db.prepare('SELECT id, position FROM tasks').all() as { id: number; position: number }[]).map((r) => [
        r.id,
        r.position,
      ]),
    );
  const before = snapshot();
  fn();
  const after = snapshot();
  return [...after].filter(([id, p]) => before.get(id) !== p).length;
}

beforeEach(() => {
  db = workspaceDb();
  for (const title of ['C', 'B', 'A']) createTask(db, ACTOR, { title });
});

describe('card order within a column', () => {
  it('puts new cards on top and keeps the order the user gives', () => {
    expect(column()).toEqual(['A', 'B', 'C']);
    updateTask(db, ACTOR, idOf('A'), { position: { after: idOf('C') } });
    expect(column()).toEqual(['B', 'C', 'A']);
    updateTask(db, ACTOR, idOf('A'), { position: { before: idOf('C') } });
    expect(column()).toEqual(['B', 'A', 'C']);
    updateTask(db, ACTOR, idOf('C'), { position: 'first' });
    expect(column()).toEqual(['C', 'B', 'A']);
  });

  it('moves a card to another column at the place asked, or on top', () => {
    createTask(db, ACTOR, { title: 'D1', status: 'doing' });
    createTask(db, ACTOR, { title: 'D2', status: 'doing' });
    updateTask(db, ACTOR, idOf('B'), { status: 'doing', position: { after: idOf('D2') } });
    expect(column('doing')).toEqual(['D2', 'B', 'D1']);
    updateTask(db, ACTOR, idOf('A'), { status: 'doing' });
    expect(column('doing')).toEqual(['A', 'D2', 'B', 'D1']);
    expect(column('todo')).toEqual(['C']);
  });

  it('writes one row per move, and renumbers the column only when a gap runs out', () => {
    const writes: number[] = [];
    // Always between the same two cards: the gap halves each time.
    for (let i = 0; i < 80; i++) {
      writes.push(
        countMoved(() => updateTask(db, ACTOR, idOf(i % 2 ? 'B' : 'A'), { position: { after: idOf('C') } })),
      );
    }
    const renumbered = writes.filter((n) => n > 1);
    expect(writes.filter((n) => n === 1).length).toBeGreaterThan(70);
    expect(renumbered.length).toBeGreaterThanOrEqual(1);
    expect(renumbered.length).toBeLessThanOrEqual(3);
    // Order still exactly as asked after all that.
    expect(column()[0]).toBe('C');
    const positions = listTasks(db, parseTaskFilter(new URLSearchParams('status=todo'), 'manual')).map(
      (t) => t.position,
    );
    expect(new Set(positions).size).toBe(3);
  });

  it('refuses a neighbour from another column, or itself, and changes nothing', () => {
    createTask(db, ACTOR, { title: 'Elsewhere', status: 'done' });
    const before = column();
    expect(() => updateTask(db, ACTOR, idOf('A'), { position: { after: idOf('Elsewhere') } })).toThrow(
      /not in the same list/,
    );
    expect(() => updateTask(db, ACTOR, idOf('A'), { position: { before: idOf('A') } })).toThrow(/itself/);
    expect(column()).toEqual(before);
  });

  it('nudges a card up, down, to the top and the bottom (the task page buttons)', () => {
    nudgeTask(db, ACTOR, idOf('C'), 'up');
    expect(column()).toEqual(['A', 'C', 'B']);
    nudgeTask(db, ACTOR, idOf('A'), 'up');
    expect(column()).toEqual(['A', 'C', 'B']);
    nudgeTask(db, ACTOR, idOf('A'), 'down');
    expect(column()).toEqual(['C', 'A', 'B']);
    nudgeTask(db, ACTOR, idOf('C'), 'last');
    expect(column()).toEqual(['A', 'B', 'C']);
  });

  it('accepts only the documented placements', () => {
    expect(parsePlacement('first')).toBe('first');
    expect(parsePlacement({ after: 3 })).toEqual({ after: 3 });
    expect(parsePlacement(-12.5)).toBe(-12.5);
    for (const bad of ['top', { after: 0 }, { after: '3' }, { before: 1, after: 2 }, Number.NaN, null, [1]]) {
      expect(() => parsePlacement(bad)).toThrow(/Position must be/);
    }
  });
});
