import { AppError } from '../errors.ts';
import {
  LIMITS,
  PRIORITY_LABEL,
  parseDueDate,
  parseProjectName,
  parseTitle,
  STATUS_LABEL,
  type TaskPriority,
  type TaskStatus,
} from '../tasks/validation.ts';
import { parseText } from '../text.ts';
import { formatCsvRecord, parseCsv, undefuse } from './csv.ts';
import type { ExportFile } from './export.ts';
import { parseChecklistText, parseLabelName } from './fields.ts';
import {
  collect,
  type ImportChecklistItem,
  type ImportTask,
  type ParsedImport,
  type Problem,
  WHOLE_FILE,
} from './model.ts';

/**
 * The tasks as a spreadsheet: one row per task, with the columns people expect (title, description,
 * status, priority, due date) and the project, labels and checklist, so that the CSV an export
 * writes imports back. A checklist is one item per line, `[x] done` / `[ ] to do` (the Markdown
 * way). Reading is forgiving about what other apps write: headers in any case and spacing, common
 * synonyms (`Notes`, `Due`, `Tags`, `In progress`, `Medium`…), dates with a time after them.
 */

const HEADER = [
  'Workspace',
  'Project',
  'Title',
  'Description',
  'Status',
  'Priority',
  'Due date',
  'Labels',
  'Checklist',
  'Created at',
  'Updated at',
];

/** Every task of the export as CSV (UTF-8 with a byte-order mark, so spreadsheets read it as such). */
export function tasksCsv(file: ExportFile): string {
  const lines = [formatCsvRecord(HEADER)];
  for (const ws of file.workspaces) {
    for (const t of ws.tasks) {
      lines.push(
        formatCsvRecord([
          ws.name,
          t.project,
          t.title,
          t.description,
          STATUS_LABEL[t.status as TaskStatus] ?? t.status,
          PRIORITY_LABEL[t.priority as TaskPriority] ?? t.priority,
          t.dueDate,
          t.labels.join(', '),
          t.checklist.map((c) => `[${c.done ? 'x' : ' '}] ${c.text}`).join('\n'),
          t.createdAt,
          t.updatedAt,
        ]),
      );
    }
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

type Column =
  | 'title'
  | 'description'
  | 'status'
  | 'priority'
  | 'dueDate'
  | 'project'
  | 'labels'
  | 'checklist';

/** Header names (lower case, letters and digits only) → the column they mean. */
const COLUMN_NAMES: Record<string, Column> = {
  title: 'title',
  task: 'title',
  name: 'title',
  description: 'description',
  notes: 'description',
  details: 'description',
  status: 'status',
  state: 'status',
  priority: 'priority',
  duedate: 'dueDate',
  due: 'dueDate',
  dueon: 'dueDate',
  deadline: 'dueDate',
  project: 'project',
  list: 'project',
  labels: 'labels',
  label: 'labels',
  tags: 'labels',
  checklist: 'checklist',
};

const STATUS_NAMES: Record<string, TaskStatus> = {
  todo: 'todo',
  open: 'todo',
  notstarted: 'todo',
  backlog: 'todo',
  doing: 'doing',
  inprogress: 'doing',
  started: 'doing',
  active: 'doing',
  done: 'done',
  complete: 'done',
  completed: 'done',
  closed: 'done',
  finished: 'done',
};

const PRIORITY_NAMES: Record<string, TaskPriority> = {
  low: 'low',
  normal: 'normal',
  medium: 'normal',
  med: 'normal',
  none: 'normal',
  high: 'high',
  urgent: 'high',
};

const squash = (s: string) =>
  s
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

/** Reads a CSV of tasks (see the top of the file) into one workspace's worth of tasks, with every problem found. */
export function parseTasksCsv(text: string): ParsedImport {
  const parsed = parseCsv(text);
  const result: ParsedImport = { format: 'csv', workspaces: [], problems: [], ignoredColumns: [] };
  if (!parsed.ok) {
    result.problems.push({ where: `Row ${parsed.row}`, row: parsed.row, message: parsed.message });
    return result;
  }
  const [header, ...records] = parsed.records;
  if (!header) {
    result.problems.push({ where: WHOLE_FILE, message: 'The file is empty.' });
    return result;
  }
  const index = new Map<Column, number>();
  header.fields.forEach((name, i) => {
    const column = COLUMN_NAMES[squash(name)];
    if (column && !index.has(column)) index.set(column, i);
    else if (name.trim() !== '') result.ignoredColumns.push(name.trim());
  });
  if (!index.has('title')) {
    result.problems.push({
      where: 'Row 1',
      row: 1,
      message:
        'The first row must name the columns, and one of them must be "Title" (the others: Description, Status, Priority, Due date; Project and Labels are optional).',
    });
    return result;
  }
  if (records.length === 0) {
    result.problems.push({ where: WHOLE_FILE, message: 'The file has a header row but no tasks under it.' });
    return result;
  }
  const tasks: ImportTask[] = [];
  for (const record of records) {
    const task = parseRow(
      record.row,
      (c) => {
        const i = index.get(c);
        return i === undefined ? '' : undefuse(record.fields[i] ?? '');
      },
      result.problems,
    );
    if (task) tasks.push(task);
  }
  result.workspaces.push({ ref: WHOLE_FILE, name: '', personal: true, projects: [], labels: [], tasks });
  return result;
}

function parseRow(row: number, cell: (c: Column) => string, problems: Problem[]): ImportTask | undefined {
  const where = `Row ${row}`;
  const before = problems.length;
  const at = (field: string) => ({ where, row, field });
  const title = collect(problems, at('Title'), () => parseTitle(cell('title')));
  const description = collect(problems, at('Description'), () =>
    parseText(cell('description'), {
      field: 'description',
      label: 'Description',
      max: LIMITS.description,
      multiline: true,
    }),
  );
  const status = collect(problems, at('Status'), () =>
    lookUp(cell('status'), STATUS_NAMES, 'todo', STATUS_LABEL),
  );
  const priority = collect(problems, at('Priority'), () =>
    lookUp(cell('priority'), PRIORITY_NAMES, 'normal', PRIORITY_LABEL),
  );
  const dueDate = collect(problems, at('Due date'), () => {
    const raw = cell('dueDate').trim();
    // Spreadsheets often add a time to a date: 2026-01-31 00:00:00.
    const dated = /^(\d{4}-\d{2}-\d{2})(?:[ T][\d:.]+Z?)?$/.exec(raw);
    return parseDueDate(dated ? dated[1] : raw);
  });
  const projectCell = cell('project').trim();
  const project =
    projectCell === '' ? null : collect(problems, at('Project'), () => parseProjectName(projectCell));
  const labels: string[] = [];
  for (const name of cell('labels').split(/[,;]/)) {
    if (name.trim() === '') continue;
    const label = collect(problems, at('Labels'), () => parseLabelName(name));
    if (label !== undefined && !labels.some((l) => l.toLowerCase() === label.toLowerCase()))
      labels.push(label);
  }
  const checklist: ImportChecklistItem[] = [];
  for (const line of cell('checklist').split(/\r\n?|\n/)) {
    const item = /^\s*(?:[-*]\s*)?\[([ xX]?)\]\s*(.*)$/.exec(line);
    const text = (item ? item[2] : line)?.trim() ?? '';
    if (text === '') continue;
    const parsed = collect(problems, at('Checklist'), () => parseChecklistText(text));
    if (parsed !== undefined) {
      checklist.push({
        ref: `${where}, checklist item ${checklist.length + 1}`,
        text: parsed,
        done: item !== null && item[1]?.toLowerCase() === 'x',
        extra: {},
      });
    }
  }
  if (problems.length > before) return undefined;
  return {
    ref: where,
    title: title as string,
    description: description as string,
    status: status as TaskStatus,
    priority: priority as TaskPriority,
    dueDate: dueDate ?? null,
    project: project ?? null,
    labels,
    checklist,
    extra: {},
  };
}

/** A status or priority by its code, its label or a common synonym; `fallback` when empty. */
function lookUp<T extends string>(
  raw: string,
  names: Record<string, T>,
  fallback: T,
  labels: Record<T, string>,
): T {
  const key = squash(raw);
  if (key === '') return fallback;
  const found = names[key];
  if (found) return found;
  throw new AppError(
    'invalid',
    `"${raw.trim()}" is not one of: ${Object.values<string>(labels).join(', ')}.`,
  );
}
