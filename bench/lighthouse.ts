/**
 * `npm run bench:lighthouse`: Lighthouse on the board with 15 and 500 tasks in the database, as a
 * phone (Lighthouse's default: Moto G-class device, slow 4G, 4× CPU) and as a desktop, signed in
 * with a session cookie sent as an extra header. Each is run BENCH_LIGHTHOUSE_RUNS times and the
 * median performance run is reported (scores move a few points between runs on a busy machine).
 *
 * Settings (env): CHROME_PATH (the Chromium Lighthouse drives; default /usr/bin/chromium),
 * BENCH_TASKS (`15,500`), BENCH_LIGHTHOUSE_RUNS (3). The server runs as `node server.ts` with the
 * embedded store in a temporary directory. Needs the `lighthouse` package (a devDependency).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServer } from '../tests/support/server.ts';
import { ensureBuilt, printTable } from './lib.ts';
import { type SeededBoard, seedBoard } from './seed.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const chromePath = process.env.CHROME_PATH ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sizes = (process.env.BENCH_TASKS ?? '15,500').split(',').map(Number);
const runs = Number(process.env.BENCH_LIGHTHOUSE_RUNS ?? 3);
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;
const METRICS = {
  FCP: 'first-contentful-paint',
  LCP: 'largest-contentful-paint',
  TBT: 'total-blocking-time',
  CLS: 'cumulative-layout-shift',
} as const;

interface Report {
  scores: Record<(typeof CATEGORIES)[number], number>;
  metrics: Record<keyof typeof METRICS, string>;
}

ensureBuilt();
const server = await startServer({ env: { CC_LOG_LEVEL: 'warn' } });
const out = mkdtempSync(join(tmpdir(), 'cc-lighthouse-'));
try {
  const boards: SeededBoard[] = [];
  for (const size of sizes) boards.push(await seedBoard(server.url, `lighthouse-${size}@example.com`, size));
  const rows: (string | number)[][] = [];
  const checks: [string, boolean][] = [];
  for (const board of boards) {
    for (const device of ['mobile', 'desktop'] as const) {
      const reports: Report[] = [];
      for (let i = 0; i < runs; i++) {
        process.stdout.write(
          `lighthouse: board of ${board.tasks} tasks, ${device}, run ${i + 1} of ${runs}…\n`,
        );
        reports.push(
          await lighthouse(
            `${server.url}${board.path}`,
            board.cookie,
            device,
            join(out, `${device}-${i}.json`),
          ),
        );
      }
      const median = reports.sort((a, b) => a.scores.performance - b.scores.performance)[
        Math.floor(reports.length / 2)
      ] as Report;
      rows.push([
        `${board.tasks} tasks`,
        device,
        ...CATEGORIES.map((c) => median.scores[c]),
        ...Object.keys(METRICS).map((m) => median.metrics[m as keyof typeof METRICS]),
        reports.map((r) => r.scores.performance).join(' '),
      ]);
      if (device === 'mobile') {
        checks.push([
          `${board.tasks} tasks, mobile performance ≥ 90 (${median.scores.performance})`,
          median.scores.performance >= 90,
        ]);
      }
      for (const c of CATEGORIES.slice(1)) {
        checks.push([
          `${board.tasks} tasks, ${device} ${c} = 100 (${median.scores[c]})`,
          median.scores[c] === 100,
        ]);
      }
    }
  }
  printTable(['board', 'device', ...CATEGORIES, ...Object.keys(METRICS), 'performance, every run'], rows);
  process.stdout.write('\nTargets (issue 12):\n');
  for (const [what, ok] of checks) process.stdout.write(`  ${ok ? 'met    ' : 'MISSED '} ${what}\n`);
} finally {
  await server.stop();
  rmSync(out, { recursive: true, force: true });
}

/** One Lighthouse run through its CLI (the cookie as an extra header), read back from its JSON. */
async function lighthouse(
  url: string,
  cookie: string,
  device: 'mobile' | 'desktop',
  path: string,
): Promise<Report> {
  await run(
    process.execPath,
    [
      join(root, 'node_modules/lighthouse/cli/index.js'),
      url,
      `--extra-headers=${JSON.stringify({ Cookie: cookie })}`,
      '--chrome-flags=--headless=new --no-sandbox',
      `--only-categories=${CATEGORIES.join(',')}`,
      '--output=json',
      `--output-path=${path}`,
      '--quiet',
      ...(device === 'desktop' ? ['--preset=desktop'] : []),
    ],
    { env: { ...process.env, CHROME_PATH: chromePath }, maxBuffer: 64 * 1024 * 1024 },
  );
  const lhr = JSON.parse(readFileSync(path, 'utf8')) as {
    finalDisplayedUrl: string;
    categories: Record<string, { score: number | null }>;
    audits: Record<string, { displayValue?: string }>;
  };
  if (new URL(lhr.finalDisplayedUrl).pathname !== new URL(url).pathname) {
    throw new Error(`Lighthouse ended on ${lhr.finalDisplayedUrl}, not the board: was the cookie sent?`);
  }
  return {
    scores: Object.fromEntries(
      CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)]),
    ) as Report['scores'],
    metrics: Object.fromEntries(
      Object.entries(METRICS).map(([k, id]) => [k, lhr.audits[id]?.displayValue ?? '?']),
    ) as Report['metrics'],
  };
}
