/**
 * Progress output and the check → change model every step follows: a step reads what exists,
 * lists the changes it needs in a Changes, and `apply` runs them in order — or, in a dry run, only
 * reports them. The Reporter prints one ✔/✖ line per step with its duration and keeps the rows
 * for the summary table.
 */

export type Outcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'would create'
  | 'would update'
  | 'deleted'
  | 'absent'
  | 'would delete'
  | 'kept'
  | 'passed';

export interface StepResult {
  outcome: Outcome;
  /** What was (or would be) done, or what was found: one short phrase. */
  detail?: string;
}

export interface Change {
  label: string;
  run: () => Promise<unknown>;
}

/** The changes one step needs. `creating` marks a resource that does not exist yet. */
export class Changes {
  readonly items: Change[] = [];
  creating = false;

  add(label: string, run: () => Promise<unknown>): void {
    this.items.push({ label, run });
  }

  /** Runs every change in order (none in a dry run) and describes the outcome. */
  async apply(dryRun: boolean, found = 'no changes'): Promise<StepResult> {
    // 'create' is already said by the outcome; the rest says what the new resource got.
    const detail = this.items
      .map((c) => c.label)
      .filter((l) => l !== 'create')
      .join(', ');
    if (this.items.length === 0) return { outcome: 'unchanged', detail: found };
    if (dryRun) return { outcome: this.creating ? 'would create' : 'would update', detail };
    for (const change of this.items) await change.run();
    return { outcome: this.creating ? 'created' : 'updated', detail };
  }
}

export interface Row {
  title: string;
  resource: string;
  outcome: Outcome | 'failed';
  detail: string;
  ms: number;
}

export type Print = (line: string) => void;

export class Reporter {
  readonly rows: Row[] = [];
  readonly print: Print;
  private readonly now: () => number;

  constructor(print: Print, now: () => number = () => performance.now()) {
    this.print = print;
    this.now = now;
  }

  /** Runs one step, printing ✔ with its outcome, or ✖ and rethrowing. */
  async step(title: string, resource: string, fn: () => Promise<StepResult>): Promise<StepResult> {
    const start = this.now();
    try {
      const result = await fn();
      const ms = this.now() - start;
      this.rows.push({ title, resource, outcome: result.outcome, detail: result.detail ?? '', ms });
      const detail = result.detail ? ` (${result.detail})` : '';
      this.print(`  ✔ ${title.padEnd(12)} ${resource}  ${result.outcome}${detail}  ${seconds(ms)}`);
      return result;
    } catch (err) {
      const ms = this.now() - start;
      this.rows.push({ title, resource, outcome: 'failed', detail: '', ms });
      this.print(`  ✖ ${title.padEnd(12)} ${resource}  failed after ${seconds(ms)}`);
      throw err;
    }
  }

  /** The rows as an aligned table. */
  summary(): string {
    const head: [string, string, string, string] = ['step', 'resource', 'result', 'time'];
    const body = this.rows.map((r) => [r.title, r.resource, r.outcome, seconds(r.ms)] as const);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)));
    const fmt = (cells: readonly string[]) =>
      `  ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
    return [fmt(head), fmt(widths.map((w) => '─'.repeat(w))), ...body.map(fmt)].join('\n');
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
