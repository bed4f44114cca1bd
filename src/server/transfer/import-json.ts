import { AppError } from '../errors.ts';
import {
  LIMITS,
  PRIORITIES,
  parseDueDate,
  parseEnum,
  parseProjectName,
  parseTitle,
  STATUSES,
} from '../tasks/validation.ts';
import { parseText } from '../text.ts';
import { parseWorkspaceName } from '../workspaces/workspaces.ts';
import { parseExtra } from './columns.ts';
import { EXPORT_FORMAT, EXPORT_VERSION } from './export.ts';
import { parseChecklistText, parseLabelName } from './fields.ts';
import {
  collect,
  type ImportChecklistItem,
  type ImportLabel,
  type ImportProject,
  type ImportTask,
  type ImportWorkspace,
  type ParsedImport,
  type Problem,
  WHOLE_FILE,
} from './model.ts';

/**
 * Reads this app's JSON export (export.ts) back, checking every field by the rules the forms and
 * the API apply, and collecting every problem with where it is ("Workspace 1 (“Home”), task 3
 * (“Call Sam”): Status must be …"). Fields an export may carry that this release does not know
 * by name are kept for columns.ts to place. Ids, members and who made what are not imported: the
 * importer owns what they import.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses the text of a JSON export; every problem found is in `problems`. */
export function parseExportJson(text: string): ParsedImport {
  const result: ParsedImport = { format: 'json', workspaces: [], problems: [], ignoredColumns: [] };
  const file = (message: string) => result.problems.push({ where: WHOLE_FILE, message });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    file(`The file is not valid JSON (${(err as Error).message}).`);
    return result;
  }
  if (!isObj(doc) || doc.format !== EXPORT_FORMAT) {
    file(
      `The file is not a Code Canvas export (those say "format": "${EXPORT_FORMAT}"). To import tasks from another app, save them as CSV.`,
    );
    return result;
  }
  if (typeof doc.version !== 'number' || !Number.isInteger(doc.version) || doc.version < 1) {
    file('The file\'s "version" must be a whole number.');
    return result;
  }
  if (doc.version > EXPORT_VERSION) {
    file(
      `It was made by a newer release (format version ${doc.version}); this one reads version ${EXPORT_VERSION}.`,
    );
    return result;
  }
  if (!Array.isArray(doc.workspaces) || doc.workspaces.length === 0) {
    file('The file has no workspaces.');
    return result;
  }
  doc.workspaces.forEach((raw, i) => {
    const ws = parseWorkspace(raw, i, result.problems);
    if (ws) result.workspaces.push(ws);
  });
  return result;
}

function parseWorkspace(raw: unknown, i: number, problems: Problem[]): ImportWorkspace | undefined {
  let ref = `Workspace ${i + 1}`;
  if (!isObj(raw)) {
    problems.push({ where: ref, message: 'It must be an object.' });
    return undefined;
  }
  const name = collect(problems, { where: ref, field: 'name' }, () => parseWorkspaceName(raw.name));
  if (name !== undefined) ref = `${ref} (“${name}”)`;
  const list = (key: string): unknown[] => {
    const v = raw[key];
    if (v === undefined) return [];
    if (Array.isArray(v)) return v;
    problems.push({ where: ref, field: key, message: `${key} must be a list.` });
    return [];
  };
  const projects = list('projects')
    .map((p, j) => parseProject(p, `${ref}, project ${j + 1}`, problems))
    .filter((p) => p !== undefined);
  const labels = list('labels')
    .map((l, j) => parseLabel(l, `${ref}, label ${j + 1}`, problems))
    .filter((l) => l !== undefined);
  const tasks = list('tasks')
    .map((t, j) => parseTask(t, `${ref}, task ${j + 1}`, problems))
    .filter((t) => t !== undefined);
  if (name === undefined) return undefined;
  return { ref, name, personal: raw.personal === true, projects, labels, tasks };
}

/** Runs the parsers of one object's fields; undefined when any of them found a problem. */
function fields<T>(
  raw: unknown,
  ref: string,
  problems: Problem[],
  known: readonly string[],
  build: (o: Obj, at: (field: string) => { where: string; field: string }) => Omit<T, 'ref' | 'extra'>,
): T | undefined {
  if (!isObj(raw)) {
    problems.push({ where: ref, message: 'It must be an object.' });
    return undefined;
  }
  const before = problems.length;
  const at = (field: string) => ({ where: ref, field });
  const value = build(raw, at);
  const extra = collect(problems, { where: ref }, () => parseExtra(raw, known));
  if (problems.length > before || extra === undefined) return undefined;
  return { ...value, ref, extra } as T;
}

const STAMPS = ['createdAt', 'updatedAt'];

function stamps(o: Obj, problems: Problem[], at: (f: string) => { where: string; field: string }) {
  const out: { createdAt?: string; updatedAt?: string } = {};
  for (const key of STAMPS as ('createdAt' | 'updatedAt')[]) {
    const v = collect(problems, at(key), () => parseInstant(o[key], key));
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

function parseProject(raw: unknown, ref: string, problems: Problem[]): ImportProject | undefined {
  return fields<ImportProject>(raw, ref, problems, ['id', 'name', 'inbox', ...STAMPS], (o, at) => ({
    name: collect(problems, at('name'), () => parseProjectName(o.name)) as string,
    inbox: o.inbox === true,
    ...stamps(o, problems, at),
  }));
}

function parseLabel(raw: unknown, ref: string, problems: Problem[]): ImportLabel | undefined {
  return fields<ImportLabel>(raw, ref, problems, ['id', 'name', 'color', ...STAMPS], (o, at) => ({
    name: collect(problems, at('name'), () => parseLabelName(o.name)) as string,
    color: collect(problems, at('color'), () => parseColor(o.color)) as string,
    ...stamps(o, problems, at),
  }));
}

const TASK_KEYS = [
  'id',
  'title',
  'description',
  'status',
  'priority',
  'dueDate',
  'project',
  'labels',
  'position',
  'checklist',
  'createdBy',
  'updatedBy',
  ...STAMPS,
];

function parseTask(raw: unknown, ref: string, problems: Problem[]): ImportTask | undefined {
  const title = isObj(raw) && typeof raw.title === 'string' ? raw.title.trim().slice(0, 40) : '';
  const where = title ? `${ref} (“${title}”)` : ref;
  return fields<ImportTask>(raw, where, problems, TASK_KEYS, (o, at) => ({
    title: collect(problems, at('title'), () => parseTitle(o.title)) as string,
    description: collect(problems, at('description'), () =>
      parseText(o.description ?? '', {
        field: 'description',
        label: 'Description',
        max: LIMITS.description,
        multiline: true,
      }),
    ) as string,
    status: collect(problems, at('status'), () =>
      parseEnum(o.status ?? 'todo', STATUSES, 'status'),
    ) as ImportTask['status'],
    priority: collect(problems, at('priority'), () =>
      parseEnum(o.priority ?? 'normal', PRIORITIES, 'priority'),
    ) as ImportTask['priority'],
    dueDate: collect(problems, at('dueDate'), () => parseDueDate(o.dueDate ?? null)) ?? null,
    project:
      o.project === undefined || o.project === null || o.project === ''
        ? null
        : (collect(problems, at('project'), () => parseProjectName(o.project)) ?? null),
    labels: collect(problems, at('labels'), () => parseLabelList(o.labels)) ?? [],
    ...optionalPosition(o, problems, at),
    checklist: (Array.isArray(o.checklist) ? o.checklist : o.checklist === undefined ? [] : [o.checklist])
      .map((c, k) => parseChecklistItem(c, `${where}, checklist item ${k + 1}`, problems))
      .filter((c) => c !== undefined),
    ...stamps(o, problems, at),
  }));
}

function parseChecklistItem(raw: unknown, ref: string, problems: Problem[]): ImportChecklistItem | undefined {
  return fields<ImportChecklistItem>(
    raw,
    ref,
    problems,
    ['id', 'text', 'done', 'position', ...STAMPS],
    (o, at) => ({
      text: collect(problems, at('text'), () => parseChecklistText(o.text)) as string,
      done: collect(problems, at('done'), () => parseBoolean(o.done ?? false, 'done')) as boolean,
      ...optionalPosition(o, problems, at),
      ...stamps(o, problems, at),
    }),
  );
}

function optionalPosition(o: Obj, problems: Problem[], at: (f: string) => { where: string; field: string }) {
  if (o.position === undefined || o.position === null) return {};
  const position = collect(problems, at('position'), () => {
    if (typeof o.position !== 'number' || !Number.isFinite(o.position)) {
      throw new AppError('invalid', 'position must be a number.', { field: 'position' });
    }
    return o.position;
  });
  return position === undefined ? {} : { position };
}

function parseLabelList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v))
    throw new AppError('invalid', 'labels must be a list of label names.', { field: 'labels' });
  const out: string[] = [];
  for (const name of v) {
    const label = parseLabelName(name);
    if (!out.some((l) => l.toLowerCase() === label.toLowerCase())) out.push(label);
  }
  return out;
}

function parseColor(v: unknown): string {
  if (v === undefined || v === null || v === '') return 'gray';
  if (typeof v !== 'string' || !/^[a-z]{1,20}$/.test(v.trim().toLowerCase())) {
    throw new AppError('invalid', 'color must be a colour name such as "blue".', { field: 'color' });
  }
  return v.trim().toLowerCase();
}

function parseBoolean(v: unknown, field: string): boolean {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new AppError('invalid', `${field} must be true or false.`, { field });
}

/** An ISO 8601 instant as the app stores them (2026-01-31T09:30:00.000Z), or null when absent. */
function parseInstant(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(v)) {
    throw new AppError('invalid', `${field} must be a time like 2026-01-31T09:30:00.000Z.`, { field });
  }
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new AppError('invalid', `${field} is not a real time.`, { field });
  return t.toISOString();
}
