import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Builds the app unless dist/ exists (BENCH_REBUILD=1 forces a build). */
export function ensureBuilt(): void {
  if (existsSync(`${root}dist/server/entry.mjs`) && process.env.BENCH_REBUILD !== '1') return;
  process.stdout.write('building the app…\n');
  execFileSync(process.execPath, [`${root}node_modules/astro/bin/astro.mjs`, 'build', '--silent'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** Prints a Markdown table (numbers rounded sensibly), so figures paste straight into docs/performance.md. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const fmt = (v: string | number) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v >= 100 ? v.toFixed(0) : v.toFixed(2)) : v;
  const cells = [header, ...rows.map((r) => r.map(fmt))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`\n${line(cells[0] ?? [])}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n`);
  for (const r of cells.slice(1)) process.stdout.write(`${line(r)}\n`);
}
