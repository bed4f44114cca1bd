import { beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import {
  addChecklistItem,
  deleteChecklistItem,
  listChecklist,
  nudgeChecklistItem,
  parseChecklistInput,
  updateChecklistItem,
} from '../../src/server/tasks/checklist.ts';
import {
  createLabel,
  deleteLabel,
  listLabels,
  parseLabelIds,
  parseLabelInput,
  updateLabel,
} from '../../src/server/tasks/labels.ts';
import { createProject, deleteProject, listProjects } from '../../src/server/tasks/projects.ts';
import { createTask, deleteTask, getTask, listTasks, updateTask } from '../../src/server/tasks/tasks.ts';
import { findTrash, listTrash, restoreTrash } from '../../src/server/tasks/trash.ts';
import { parseTaskFilter } from '../../src/server/tasks/validation.ts';
import { workspaceDb } from '../support/workspace-db.ts';

const ACTOR = 1;
const UNDO = 60;
let db: Db;
const items = (taskId: number) => listChecklist(db, taskId).map((i) => `${i.done ? 'x' : ' '} ${i.text}`);
const tableRows = (taskId: number) => ({
  task: db.prepare('SELECT * FROM tasks WHERE id = ?').get(taskId),
  checklist: db.prepare('SELECT * FROM checklist_items WHERE task_id = ? ORDER BY id').all(taskId),
  labels: db.prepare('SELECT label_id FROM task_labels WHERE task_id = ? ORDER BY label_id').all(taskId),
});

beforeEach(() => {
  db = workspaceDb();
});

describe('labels', () => {
  it('are named once per workspace, ignoring case, in a palette colour', () => {
    const urgent = createLabel(db, parseLabelInput({ name: ' Urgent ', color: 'red' }, { partial: false }));
    expect(urgent).toMatchObject({ name: 'Urgent', color: 'red', taskCount: 0 });
    expect(() => createLabel(db, { name: 'urgent', color: 'blue' })).toThrow(/already has a label/);
    expect(() => parseLabelInput({ name: 'x', color: '#ff0000' }, { partial: false })).toThrow(
      /Colour must be one of/,
    );
    expect(() => parseLabelInput({ name: '', color: 'red' }, { partial: false })).toThrow(/Label name/);
    expect(parseLabelInput({ name: 'No colour' }, { partial: false }).color).toBe('gray');
    expect(listLabels(db).map((l) => l.name)).toEqual(['Urgent']);
  });

  it('are set on a task exactly, filter tasks by id or name, and follow renames and deletes', () => {
    const a = createLabel(db, { name: 'Home', color: 'green' });
    const b = createLabel(db, { name: 'Work', color: 'blue' });
    const t1 = createTask(db, ACTOR, { title: 'Both', labels: [a.id, b.id] });
    const t2 = createTask(db, ACTOR, { title: 'Home only', labels: [a.id] });
    createTask(db, ACTOR, { title: 'None' });
    const titles = (q: string) =>
      listTasks(db, parseTaskFilter(new URLSearchParams(q)))
        .map((t) => t.title)
        .sort();
    expect(titles('label=home')).toEqual(['Both', 'Home only']);
    expect(titles(`label=${b.id}`)).toEqual(['Both']);
    expect(titles('label=nothing-called-this')).toEqual([]);

    updateTask(db, ACTOR, t2.id, { labels: [b.id] });
    expect(titles('label=Work')).toEqual(['Both', 'Home only']);
    updateLabel(db, b.id, { name: 'Office' });
    expect(getTask(db, t1.id).labels.map((l) => l.name)).toEqual(['Home', 'Office']);
    deleteLabel(db, a.id);
    expect(getTask(db, t1.id).labels.map((l) => l.name)).toEqual(['Office']);
  });

  it('refuses unknown or malformed label ids and leaves the task as it was', () => {
    const a = createLabel(db, { name: 'Home', color: 'green' });
    const t = createTask(db, ACTOR, { title: 'T', labels: [a.id] });
    expect(() => updateTask(db, ACTOR, t.id, { labels: [a.id, 999] })).toThrow(
      /not one of this workspace's labels/,
    );
    expect(getTask(db, t.id).labels.map((l) => l.id)).toEqual([a.id]);
    for (const bad of ['1', [0], ['x'], [1.5], null])
      expect(() => parseLabelIds(bad)).toThrow(/Labels must be/);
    expect(parseLabelIds(['3', 3, 4])).toEqual([3, 4]);
  });
});

describe('checklists', () => {
  it('add items in order, tick, rename, reorder and delete them; the task counts progress', () => {
    const t = createTask(db, ACTOR, { title: 'Trip' });
    for (const text of ['Passport', 'Tickets', 'Charger'])
      addChecklistItem(db, t.id, { text }, { actor: ACTOR });
    expect(items(t.id)).toEqual(['  Passport', '  Tickets', '  Charger']);
    const [passport, tickets, charger] = listChecklist(db, t.id).map((i) => i.id) as [number, number, number];
    updateChecklistItem(db, t.id, tickets, { done: true }, { actor: ACTOR });
    updateChecklistItem(db, t.id, charger, { text: 'Phone charger' }, { actor: ACTOR });
    nudgeChecklistItem(db, t.id, charger, 'up', { actor: ACTOR });
    expect(items(t.id)).toEqual(['  Passport', '  Phone charger', 'x Tickets']);
    expect(getTask(db, t.id).checklist).toEqual({ done: 1, total: 3 });
    deleteChecklistItem(db, t.id, passport, { actor: ACTOR });
    expect(getTask(db, t.id).checklist).toEqual({ done: 1, total: 2 });
  });

  it('refuses an empty item, another task’s item and a missing task', () => {
    const t = createTask(db, ACTOR, { title: 'One' });
    const other = createTask(db, ACTOR, { title: 'Two' });
    const item = addChecklistItem(db, other.id, { text: 'Theirs' }, { actor: ACTOR });
    expect(() => parseChecklistInput({ text: '   ' }, { partial: false })).toThrow(/Checklist item/);
    expect(() => parseChecklistInput({ done: 'yes' }, { partial: true })).toThrow(/Done must be/);
    expect(() => updateChecklistItem(db, t.id, item.id, { done: true }, { actor: ACTOR })).toThrow(
      /not found/,
    );
    expect(() => addChecklistItem(db, 9999, { text: 'x' }, { actor: ACTOR })).toThrow(/not found/);
    expect(items(other.id)).toEqual(['  Theirs']);
  });
});

describe('trash and undo', () => {
  it('restores a deleted task exactly: id, fields, position, checklist and labels', () => {
    const label = createLabel(db, { name: 'Home', color: 'green' });
    createTask(db, ACTOR, { title: 'Below' });
    const t = createTask(db, ACTOR, { title: 'Keep me', description: '**bold**', labels: [label.id] });
    createTask(db, ACTOR, { title: 'Above' });
    addChecklistItem(db, t.id, { text: 'One' }, { actor: ACTOR });
    const two = addChecklistItem(db, t.id, { text: 'Two' }, { actor: ACTOR });
    updateChecklistItem(db, t.id, two.id, { done: true }, { actor: ACTOR });
    const before = tableRows(t.id);
    const order = listTasks(db, { sort: 'manual' }).map((x) => x.title);

    const entry = deleteTask(db, ACTOR, t.id, { undoSeconds: UNDO });
    expect(entry).toMatchObject({ kind: 'task', itemId: t.id, title: 'Keep me' });
    expect(tableRows(t.id)).toEqual({ task: undefined, checklist: [], labels: [] });
    // A task made meanwhile must not take the deleted one's id.
    expect(createTask(db, ACTOR, { title: 'Meanwhile' }).id).toBeGreaterThan(t.id);

    expect(restoreTrash(db, entry.id, UNDO, { expect: { kind: 'task', itemId: t.id } })).toMatchObject({
      kind: 'task',
      taskId: t.id,
    });
    expect(tableRows(t.id)).toEqual(before);
    expect(
      listTasks(db, { sort: 'manual' })
        .map((x) => x.title)
        .filter((x) => x !== 'Meanwhile'),
    ).toEqual(order);
    expect(listTrash(db, UNDO)).toEqual([]);
    expect(() => restoreTrash(db, entry.id, UNDO)).toThrow(/nothing to undo/);
  });

  it('restores a project with its tasks, and only within the undo window', () => {
    const p = createProject(db, 'Garden');
    const t = createTask(db, ACTOR, { title: 'Dig', projectId: p.id });
    addChecklistItem(db, t.id, { text: 'Spade' }, { actor: ACTOR });
    const deletedAt = new Date('2026-01-01T10:00:00Z');
    const entry = deleteProject(db, ACTOR, p.id, { undoSeconds: UNDO, now: deletedAt });
    expect(entry.deletedTasks).toBe(1);
    expect(listProjects(db).map((x) => x.name)).not.toContain('Garden');

    const late = new Date(deletedAt.getTime() + (UNDO + 1) * 1000);
    expect(findTrash(db, entry.id, UNDO, late)).toBeUndefined();
    const inTime = new Date(deletedAt.getTime() + (UNDO - 1) * 1000);
    expect(findTrash(db, entry.id, UNDO, inTime)?.title).toBe('Garden');
    restoreTrash(db, entry.id, UNDO, { now: inTime });
    expect(getTask(db, t.id)).toMatchObject({
      projectId: p.id,
      projectName: 'Garden',
      checklist: { total: 1 },
    });
  });

  it('purges entries past the window, so an old Undo restores nothing', () => {
    const t = createTask(db, ACTOR, { title: 'Gone' });
    const deletedAt = new Date('2026-01-01T10:00:00Z');
    const entry = deleteTask(db, ACTOR, t.id, { undoSeconds: UNDO, now: deletedAt });
    const late = new Date(deletedAt.getTime() + (UNDO + 5) * 1000);
    expect(() => restoreTrash(db, entry.id, UNDO, { now: late })).toThrow(/nothing to undo/);
    expect(db.prepare('SELECT count(*) AS n FROM trash').get()).toEqual({ n: 0 });
  });

  it('refuses an Undo whose button named something else', () => {
    const a = createTask(db, ACTOR, { title: 'A' });
    const entry = deleteTask(db, ACTOR, a.id, { undoSeconds: UNDO });
    expect(() => restoreTrash(db, entry.id, UNDO, { expect: { kind: 'task', itemId: a.id + 1 } })).toThrow(
      /nothing to undo/,
    );
    expect(findTrash(db, entry.id, UNDO)?.itemId).toBe(a.id);
  });
});
