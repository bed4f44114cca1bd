import { AppError, type AppErrorCode } from '../errors.ts';
import type { TaskPriority, TaskStatus } from '../tasks/validation.ts';

/**
 * What an import brings in, whatever file it came from (a Code Canvas export in JSON, or a CSV of
 * tasks): workspaces of projects, labels and tasks with their checklists, already validated by the
 * rules the forms and the API apply (src/server/text.ts, tasks/validation.ts). Projects and labels
 * are referred to by name, as people see them; ids never travel between workspaces.
 */

/** A value copied into a column this release's tables have but the import does not know by name. */
export type Scalar = string | number | null;

/** Where something came from in the file, for messages: "Row 4" or "Workspace 1 (“Home”), task 3". */
interface Located {
  ref: string;
}

/** Columns of the row that the import passes through by name (see columns.ts). */
interface WithExtra {
  extra: Record<string, Scalar>;
}

interface Stamped {
  createdAt?: string;
  updatedAt?: string;
}

export interface ImportProject extends Located, WithExtra, Stamped {
  name: string;
  /** The export's Inbox: its tasks go to the target's Inbox, whatever either is called. */
  inbox: boolean;
}

export interface ImportLabel extends Located, WithExtra, Stamped {
  name: string;
  color: string;
}

export interface ImportChecklistItem extends Located, WithExtra, Stamped {
  text: string;
  done: boolean;
  position?: number;
}

export interface ImportTask extends Located, WithExtra, Stamped {
  title: string;
  description: string;
  status: TaskStatus;
  priority: TaskPriority;
  dueDate: string | null;
  /** Project name; null for the Inbox. */
  project: string | null;
  /** Label names. */
  labels: string[];
  position?: number;
  checklist: ImportChecklistItem[];
}

export interface ImportWorkspace extends Located {
  name: string;
  /** The exporter's personal workspace (imported into the importer's own, unless told otherwise). */
  personal: boolean;
  projects: ImportProject[];
  labels: ImportLabel[];
  tasks: ImportTask[];
}

/** One thing wrong with the file, as precise as the file allows. */
export interface Problem {
  /** "Row 4", "Workspace 1 (“Home”), task 3 (“Call Sam”)", or "The file". */
  where: string;
  /** The field at fault, as the file names it, when there is one. */
  field?: string;
  /** The CSV row (the header is row 1, as a spreadsheet numbers it). */
  row?: number;
  message: string;
}

export interface ParsedImport {
  format: 'json' | 'csv';
  workspaces: ImportWorkspace[];
  /** Everything wrong with the file; an import with any does nothing. */
  problems: Problem[];
  /** CSV columns the import does not use (reported in the preview, never an error). */
  ignoredColumns: string[];
}

/** Most problems listed; past it the list ends with how many more there were. */
export const MAX_PROBLEMS = 200;

/**
 * An import refused with the problems that stopped it: 400 `invalid` (the file) or 409
 * `quota_exceeded` (it does not fit). Nothing was changed.
 */
export class ImportRejected extends AppError {
  readonly problems: Problem[];
  constructor(code: AppErrorCode, message: string, problems: Problem[]) {
    super(code, message, { field: 'file' });
    this.problems = problems;
  }
}

/** ImportRejected listing `problems` (at most MAX_PROBLEMS, then a line saying how many more). */
export function rejectProblems(problems: Problem[]): ImportRejected {
  const n = problems.length;
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (n > MAX_PROBLEMS) shown.push({ where: WHOLE_FILE, message: `…and ${n - MAX_PROBLEMS} more problems.` });
  const message =
    n === 1
      ? `${describeProblem(problems[0] as Problem)} Nothing was imported.`
      : `The file has ${n.toLocaleString('en')} problems; nothing was imported. Fix them and try again.`;
  return new ImportRejected('invalid', message, shown);
}

/** `where` of a problem with the file as a whole (its message says "The file …"). */
export const WHOLE_FILE = 'The file';

/** A problem as one line: "Row 4: Status must be …", or the message alone for the whole file. */
export function describeProblem(p: Problem): string {
  return p.where === WHOLE_FILE ? p.message : `${p.where}: ${p.message}`;
}

/** Runs a field parser; its AppError becomes a Problem at `where` (and the field's value `undefined`). */
export function collect<T>(
  problems: Problem[],
  where: Omit<Problem, 'message'>,
  parse: () => T,
): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    problems.push({ ...where, message: err.message });
    return undefined;
  }
}
