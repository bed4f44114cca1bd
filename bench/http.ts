/**
 * `npm run bench:http`: the board page (server-rendered from SQLite, 500 tasks) against a static
 * asset, both under the same load in the same run, so the ratio says what rendering costs here.
 *
 * Settings (env): BENCH_DURATION seconds per target (20), BENCH_CONNECTIONS (50), BENCH_TASKS (500).
 * The server runs as `node server.ts` with the embedded store in a temporary directory.
 */
import autocannon from 'autocannon';
import { ApiClient, startServer } from '../tests/support/server.ts';
import { ensureBuilt, printTable } from './lib.ts';

const duration = Number(process.env.BENCH_DURATION ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const taskCount = Number(process.env.BENCH_TASKS ?? 500);

ensureBuilt();
const server = await startServer({ env: { CC_LOG_LEVEL: 'warn' } });
try {
  const api = new ApiClient(server.url);
  await api.signUp('bench@example.com', 'bench password');
  process.stdout.write(`seeding ${taskCount} tasks… `);
  const t0 = performance.now();
  const statuses = ['todo', 'doing', 'done'];
  const priorities = ['low', 'normal', 'high'];
  for (let i = 0; i < taskCount; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, taskCount - i) }, (_, j) =>
        api.post('/api/tasks', {
          title: `Task ${i + j}: ${'lorem ipsum '.repeat(3)}`,
          description: 'Some description\nwith two lines',
          status: statuses[(i + j) % 3],
          priority: priorities[(i + j) % 3],
          dueDate: new Date(Date.now() + ((i + j) % 30) * 86_400_000).toISOString().slice(0, 10),
        }),
      ),
    );
  }
  process.stdout.write(`${Math.round(performance.now() - t0)} ms\n`);

  const board = await fetch(`${server.url}/`, { headers: { cookie: api.cookie } });
  const html = await board.text();
  if (board.status !== 200 || (html.match(/Task \d+:/g) ?? []).length < taskCount) {
    throw new Error(`the board does not show the ${taskCount} tasks (status ${board.status})`);
  }
  const asset = /href="(\/_astro\/[^"]+\.css)"/.exec(html)?.[1] ?? '/favicon.svg';

  const run = (title: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      process.stdout.write(`${title}: ${connections} connections for ${duration} s…\n`);
      autocannon({ url: `${server.url}${path}`, connections, duration, headers }, (err, result) =>
        err ? reject(err) : resolve(result),
      );
    });
  const page = await run(`board page (${taskCount} tasks)`, '/', { cookie: api.cookie });
  const file = await run(`static asset ${asset}`, asset);
  for (const [name, r] of [
    ['board', page],
    ['asset', file],
  ] as const) {
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx and ${r.errors} errors`);
  }
  printTable(
    ['target', 'requests/s', 'p50 ms', 'p99 ms', 'requests'],
    [
      ['board page', page.requests.average, page.latency.p50, page.latency.p99, page.requests.total],
      ['static asset', file.requests.average, file.latency.p50, file.latency.p99, file.requests.total],
      [
        'board / asset',
        `${(page.requests.average / file.requests.average).toFixed(3)}×`,
        `${(page.latency.p50 / Math.max(file.latency.p50, 0.001)).toFixed(1)}×`,
        `${(page.latency.p99 / Math.max(file.latency.p99, 0.001)).toFixed(1)}×`,
        '',
      ],
    ],
  );
} finally {
  await server.stop();
}
