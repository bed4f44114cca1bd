import { AppError } from '../errors.ts';
import { parseText } from '../text.ts';
import { LABEL_NAME_MAX, parseLabelIds } from './labels.ts';
import { type Placement, parsePlacement } from './positions.ts';

export const STATUSES = ['todo', 'doing', 'done'] as const;
export const PRIORITIES = ['low', 'normal', 'high'] as const;
export const SORTS = ['recent', 'due', 'priority', 'manual'] as const;
/** What the status filter accepts: one status, or `open` (To do and Doing together). */
export const STATUS_FILTERS = [...STATUSES, 'open'] as const;
export type TaskStatus = (typeof STATUSES)[number];
export type StatusFilter = (typeof STATUS_FILTERS)[number];
export type TaskPriority = (typeof PRIORITIES)[number];
export type TaskSort = (typeof SORTS)[number];

export const STATUS_LABEL: Record<TaskStatus, string> = { todo: 'To do', doing: 'Doing', done: 'Done' };
export const STATUS_FILTER_LABEL: Record<StatusFilter, string> = {
  ...STATUS_LABEL,
  open: 'Open (not done)',
};
export const PRIORITY_LABEL: Record<TaskPriority, string> = { low: 'Low', normal: 'Normal', high: 'High' };

/** Most characters of each text field, counted as a person sees them (src/server/text.ts). */
export const LIMITS = { title: 200, description: 10_000, projectName: 80, search: 200 } as const;

/** What a client may set on a task. Absent keys are left alone (patch) or defaulted (create). */
export interface TaskInput {
  title?: string;
  description?: string;
  status?: TaskStatus;
  priority?: TaskPriority;
  dueDate?: string | null;
  projectId?: number;
  /** Exactly these labels (ids of the workspace's labels). */
  labels?: number[];
  /** Where it goes in its status column (a moved card goes first unless this says otherwise). */
  position?: Placement;
}

export interface TaskFilter {
  q?: string;
  status?: StatusFilter;
  priority?: TaskPriority;
  projectId?: number;
  /** Tasks carrying this label: its id, or its name (ignoring case). */
  label?: number | string;
  sort: TaskSort;
}

type Raw = Record<string, unknown>;

/**
 * Validates task fields from a form or JSON body. With `partial`, only present keys are checked
 * (PATCH); otherwise `title` is required. Throws AppError('invalid') naming the first bad field.
 */
export function parseTaskInput(raw: Raw, opts: { partial: boolean }): TaskInput {
  const out: TaskInput = {};
  if (raw.title !== undefined || !opts.partial) out.title = parseTitle(raw.title);
  if (raw.description !== undefined) out.description = parseDescription(raw.description);
  if (raw.status !== undefined) out.status = parseEnum(raw.status, STATUSES, 'status');
  if (raw.priority !== undefined) out.priority = parseEnum(raw.priority, PRIORITIES, 'priority');
  if (raw.dueDate !== undefined) out.dueDate = parseDueDate(raw.dueDate);
  if (raw.projectId !== undefined) out.projectId = parseId(raw.projectId, 'projectId');
  if (raw.labels !== undefined) out.labels = parseLabelIds(raw.labels);
  if (raw.position !== undefined) out.position = parsePlacement(raw.position);
  return out;
}

/** A title: one line, something visible, at most LIMITS.title characters (see src/server/text.ts). */
export function parseTitle(v: unknown): string {
  return parseText(v, { field: 'title', label: 'Title', max: LIMITS.title, trim: true, required: true });
}

/** A description: line breaks kept (as `\n`), may be empty. */
export function parseDescription(v: unknown): string {
  return parseText(v, {
    field: 'description',
    label: 'Description',
    max: LIMITS.description,
    multiline: true,
  });
}

/** A calendar date `YYYY-MM-DD`, or null/'' for none. */
export function parseDueDate(v: unknown): string | null {
  if (v === null || v === '') return null;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    throw invalid('dueDate', 'Due date must be a date like 2026-12-31.');
  }
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    throw invalid('dueDate', `${v} is not a real date.`);
  }
  return v;
}

export function parseEnum<T extends string>(v: unknown, options: readonly T[], field: string): T {
  if (typeof v !== 'string' || !options.includes(v as T)) {
    throw invalid(field, `${capitalise(field)} must be one of: ${options.join(', ')}.`);
  }
  return v as T;
}

/** A positive integer id from JSON (number) or a form/query (digits). */
export function parseId(v: unknown, field: string): number {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw invalid(field, `${capitalise(field)} must be a positive whole number.`);
  return n;
}

export function parseProjectName(v: unknown): string {
  return parseText(v, {
    field: 'name',
    label: 'Project name',
    max: LIMITS.projectName,
    trim: true,
    required: true,
  });
}

/**
 * Filters from a query string (the board, the list and GET /api/tasks share them). Empty values
 * mean "any"; `status=open` means To do and Doing.
 */
export function parseTaskFilter(params: URLSearchParams, defaultSort: TaskSort = 'recent'): TaskFilter {
  const get = (k: string) => {
    const v = params.get(k);
    return v === null || v === '' ? undefined : v;
  };
  const rawQ = get('q');
  const q =
    rawQ === undefined
      ? undefined
      : parseText(rawQ, { field: 'q', label: 'Search', max: LIMITS.search, trim: true });
  const status = get('status');
  const priority = get('priority');
  const project = get('project');
  const sort = get('sort');
  const label = get('label');
  return {
    q: q || undefined,
    status: status === undefined ? undefined : parseEnum(status, STATUS_FILTERS, 'status'),
    priority: priority === undefined ? undefined : parseEnum(priority, PRIORITIES, 'priority'),
    projectId: project === undefined ? undefined : parseId(project, 'project'),
    label: label === undefined ? undefined : parseLabelFilter(label),
    sort: sort === undefined ? defaultSort : parseEnum(sort, SORTS, 'sort'),
  };
}

/** `?label=`: digits are a label id, anything else a label name. */
function parseLabelFilter(v: string): number | string {
  if (/^\d{1,15}$/.test(v)) return parseId(v, 'label');
  return parseText(v, { field: 'label', label: 'Label', max: LABEL_NAME_MAX, trim: true, required: true });
}

function invalid(field: string, message: string): AppError {
  return new AppError('invalid', message, { field });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
