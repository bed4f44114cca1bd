import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/server/db/migrate.ts';
import { workspaceMigrations } from '../../src/server/db/migrations.ts';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import { createProject, INBOX } from '../../src/server/tasks/projects.ts';
import { countTasks, createTask, getTask, listTasks, matchesFilter } from '../../src/server/tasks/tasks.ts';
import { parseTaskFilter, type TaskFilter } from '../../src/server/tasks/validation.ts';

/** Two workspaces (each its own database), so a test can show one never sees the other's tasks. */
let alice: Db;
let bob: Db;
const ACTOR = 1;

const filter = (query: string): TaskFilter => parseTaskFilter(new URLSearchParams(query));
const titles = (tasks: { title: string }[]) => tasks.map((t) => t.title);

function workspaceDb(): Db {
  const db = new Database(':memory:');
  migrate(db, workspaceMigrations);
  createProject(db, INBOX, { isInbox: true });
  return db;
}

beforeEach(() => {
  alice = workspaceDb();
  bob = workspaceDb();
});

/** Tasks created one second apart, so "recent" order is the reverse of creation order. */
function seed(db: Db, tasks: { title: string; status?: 'todo' | 'doing' | 'done'; dueDate?: string }[]) {
  tasks.forEach((t, i) => {
    createTask(db, ACTOR, t, { now: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) });
  });
}

describe('listing tasks a page at a time', () => {
  it('pages through the filtered tasks in order, without overlap or gaps', () => {
    seed(
      alice,
      Array.from({ length: 7 }, (_, i) => ({ title: `T${i}`, status: i % 2 ? 'done' : 'todo' })),
    );
    seed(bob, [{ title: 'Not yours' }]);
    const todo = filter('status=todo');
    expect(titles(listTasks(alice, todo, { limit: 2 }))).toEqual(['T6', 'T4']);
    expect(titles(listTasks(alice, todo, { limit: 2, offset: 2 }))).toEqual(['T2', 'T0']);
    expect(listTasks(alice, todo, { limit: 2, offset: 4 })).toEqual([]);
    expect(titles(listTasks(alice, filter('')))).toHaveLength(7);
  });

  it('counts every match per status whatever the page, with the same filter', () => {
    seed(alice, [
      { title: 'milk', status: 'todo', dueDate: '2026-03-01' },
      { title: 'more milk', status: 'doing', dueDate: '2026-03-02' },
      { title: 'milk done', status: 'done', dueDate: '2026-01-01' },
      { title: 'bread', status: 'todo', dueDate: '2026-03-02' },
    ]);
    seed(bob, [{ title: 'milk for bob' }]);
    const counts = countTasks(alice, filter('q=milk'), { today: '2026-03-02' });
    expect(counts).toEqual({ total: 3, byStatus: { todo: 1, doing: 1, done: 1 }, overdue: 1, dueToday: 1 });
    expect(countTasks(alice, filter('status=open'), { today: '2026-03-02' })).toEqual({
      total: 3,
      byStatus: { todo: 2, doing: 1, done: 0 },
      overdue: 1,
      dueToday: 2,
    });
    expect(countTasks(bob, filter('status=done')).total).toBe(0);
  });

  it('"open" selects To do and Doing', () => {
    seed(alice, [
      { title: 'a', status: 'todo' },
      { title: 'b', status: 'doing' },
      { title: 'c', status: 'done' },
    ]);
    expect(titles(listTasks(alice, filter('status=open'))).sort()).toEqual(['a', 'b']);
    expect(() => filter('status=later')).toThrow(/Status must be one of: todo, doing, done, open/);
  });

  it('sorting by due date puts done tasks last, then tasks without a date', () => {
    seed(alice, [
      { title: 'done early', status: 'done', dueDate: '2026-01-01' },
      { title: 'no date' },
      { title: 'late', dueDate: '2026-05-01' },
      { title: 'early', dueDate: '2026-02-01' },
    ]);
    expect(titles(listTasks(alice, filter('sort=due')))).toEqual(['early', 'late', 'no date', 'done early']);
  });

  it('flags overdue and due today against the day it is given, not UTC', () => {
    seed(alice, [
      { title: 'yesterday', dueDate: '2026-03-01' },
      { title: 'today', dueDate: '2026-03-02' },
      { title: 'finished', dueDate: '2026-03-01', status: 'done' },
    ]);
    const flags = (day: string) =>
      listTasks(alice, filter(''), { today: day }).map((t) => `${t.title}:${t.overdue}:${t.dueToday}`);
    expect(flags('2026-03-02').sort()).toEqual([
      'finished:false:false',
      'today:false:true',
      'yesterday:true:false',
    ]);
    expect(flags('2026-03-01').sort()).toEqual([
      'finished:false:false',
      'today:false:false',
      'yesterday:false:true',
    ]);
    const id = listTasks(alice, filter('q=yesterday'))[0]?.id ?? 0;
    expect(getTask(alice, id, '2026-03-02').overdue).toBe(true);
    expect(getTask(alice, id, '2026-02-28').overdue).toBe(false);
  });

  it('tells whether one task is among those a filter selects', () => {
    seed(alice, [{ title: 'shown' }, { title: 'hidden', status: 'done' }]);
    const [hidden, shown] = listTasks(alice, filter('sort=recent'));
    expect(matchesFilter(alice, filter('status=open'), shown?.id ?? 0)).toBe(true);
    expect(matchesFilter(alice, filter('status=open'), hidden?.id ?? 0)).toBe(false);
    expect(matchesFilter(bob, filter(''), shown?.id ?? 0)).toBe(false);
  });
});
