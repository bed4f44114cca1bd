/**
 * `npm run bench:http`: what the board costs, against a static asset measured in the same run.
 *
 * For each board size (BENCH_TASKS, default 15 and 500 tasks in the database) it reports the bytes
 * on the wire (Brotli as a render sends it, gzip as a kept page is sent, and uncompressed), the DOM
 * elements Chromium builds (desktop and 360 px phone) and requests/s under load, beside the same
 * load on the stylesheet: as shipped (a board asked for again while nothing on it changed is a kept
 * page, src/server/http/page-cache.ts), and with every request rendered (a second server on the
 * same data with CC_PAGE_CACHE_MB=0); then checks the targets of issue 12 on the first.
 *
 * Settings (env): BENCH_DURATION seconds per load run (20), BENCH_CONNECTIONS (50), BENCH_TASKS
 * (`15,500`), CHROMIUM_PATH (/usr/bin/chromium). The server runs as `node server.ts` with the
 * embedded store in a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import autocannon from 'autocannon';
import { startServer } from '../tests/support/server.ts';
import { ensureBuilt, printTable } from './lib.ts';
import { type SeededBoard, seedBoard } from './seed.ts';

const duration = Number(process.env.BENCH_DURATION ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const sizes = (process.env.BENCH_TASKS ?? '15,500').split(',').map(Number);
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** What Chromium sends; the board and the asset are both measured as a browser gets them. */
const BROWSER_ENCODINGS = 'gzip, deflate, br, zstd';

ensureBuilt();
// One data directory for both servers: the second one serves the same accounts with the page cache off.
const dataDir = mkdtempSync(join(tmpdir(), 'cc-bench-http-'));
let server = await startServer({ dataDir, env: { CC_LOG_LEVEL: 'warn' } });
try {
  const boards: SeededBoard[] = [];
  for (const size of sizes) {
    process.stdout.write(`seeding a board of ${size} tasks… `);
    const t0 = performance.now();
    boards.push(await seedBoard(server.url, `bench-${size}@example.com`, size));
    process.stdout.write(`${Math.round(performance.now() - t0)} ms\n`);
  }

  const asset = await findStylesheet(server.url, boards[0] as SeededBoard);
  const weights: ({ board: SeededBoard } & Awaited<ReturnType<typeof weigh>>)[] = [];
  for (const b of boards) weights.push({ board: b, ...(await weigh(server.url, b)) });
  const dom = await countElements(server.url, boards);

  const run = (title: string, path: string, headers: Record<string, string>) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      process.stdout.write(`${title}: ${connections} connections for ${duration} s…\n`);
      autocannon({ url: `${server.url}${path}`, connections, duration, headers }, (err, result) => {
        if (err) return reject(err);
        if (result.non2xx > 0 || result.errors > 0) {
          return reject(new Error(`${title}: ${result.non2xx} non-2xx and ${result.errors} errors`));
        }
        resolve(result);
      });
    });
  const boardLoads = async (how: string) => {
    const out: { board: SeededBoard; how: string; result: autocannon.Result }[] = [];
    for (const b of boards) {
      const headers = { cookie: b.cookie, 'accept-encoding': BROWSER_ENCODINGS };
      out.push({ board: b, how, result: await run(`board page, ${b.tasks} tasks, ${how}`, b.path, headers) });
    }
    return out;
  };
  const file = await run(`static asset ${asset}`, asset, { 'accept-encoding': BROWSER_ENCODINGS });
  // As shipped: a board asked for again while nothing on it changed is a kept page (page-cache.ts).
  const loads = await boardLoads('as shipped');
  // What a render costs: the same data, a server with the page cache off (every request renders).
  await server.stop();
  server = await startServer({ dataDir, env: { CC_LOG_LEVEL: 'warn', CC_PAGE_CACHE_MB: '0' } });
  const renders = await boardLoads('every request rendered (CC_PAGE_CACHE_MB=0)');

  process.stdout.write('\nBytes on the wire and DOM size (the board as a browser fetches it):\n');
  printTable(
    ['board', 'HTML', 'gzip (kept page)', 'Brotli (render)', 'DOM elements 1280 px', 'DOM elements 360 px'],
    weights.map((w, i) => [
      `${w.board.tasks} tasks`,
      kb(w.identity),
      kb(w.gzip),
      kb(w.br),
      dom[i]?.desktop ?? 0,
      dom[i]?.phone ?? 0,
    ]),
  );
  process.stdout.write(`\nRequests under load (${connections} connections, ${duration} s each):\n`);
  printTable(
    ['target', 'requests/s', 'p50 ms', 'p99 ms', '÷ static requests/s'],
    [
      [
        `static asset (${asset.split('/').pop()})`,
        file.requests.average,
        file.latency.p50,
        file.latency.p99,
        '1×',
      ],
      ...[...loads, ...renders].map((l) => [
        `board, ${l.board.tasks} tasks, ${l.how}`,
        l.result.requests.average,
        l.result.latency.p50,
        l.result.latency.p99,
        `${(l.result.requests.average / file.requests.average).toFixed(3)}×`,
      ]),
    ],
  );

  const checks: [string, boolean][] = [];
  const big = weights.find((w) => w.board.tasks >= 500);
  const bigDom = dom.find((d) => d.tasks >= 500);
  const ratio = (min: number, max: number) =>
    loads.find((l) => l.board.tasks >= min && l.board.tasks <= max)?.result.requests.average ?? Number.NaN;
  if (big) checks.push([`500-task board ≤ 60 KB on the wire (Brotli: ${kb(big.br)})`, big.br <= 60 * 1024]);
  if (bigDom) {
    const most = Math.max(bigDom.desktop, bigDom.phone);
    checks.push([`500-task board ≤ 1,500 DOM elements (${most})`, most <= 1500]);
  }
  const at500 = ratio(500, Infinity) / file.requests.average;
  const at15 = ratio(1, 15) / file.requests.average;
  if (!Number.isNaN(at500))
    checks.push([`board at 500 tasks ≥ 0.1× static (${at500.toFixed(3)}×)`, at500 >= 0.1]);
  if (!Number.isNaN(at15))
    checks.push([`board at 15 tasks ≥ 0.3× static (${at15.toFixed(3)}×)`, at15 >= 0.3]);
  process.stdout.write('\nTargets (issue 12):\n');
  for (const [what, ok] of checks) process.stdout.write(`  ${ok ? 'met    ' : 'MISSED '} ${what}\n`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

/** The board's size as sent: with Brotli, with gzip, and without compression. */
async function weigh(
  base: string,
  board: SeededBoard,
): Promise<{ br: number; gzip: number; identity: number }> {
  const size = async (encoding: string) => {
    const res = await rawGet(base, board.path, { cookie: board.cookie, 'accept-encoding': encoding });
    if (res.status !== 200) throw new Error(`GET ${board.path} answered ${res.status}`);
    const got = res.headers['content-encoding'] ?? 'identity';
    if (got !== encoding) throw new Error(`asked for ${encoding}, got ${got}`);
    return res.bytes;
  };
  return { br: await size('br'), gzip: await size('gzip'), identity: await size('identity') };
}

/** GETs `path` and counts the bytes of the body as they came over the socket (not decoded). */
async function rawGet(base: string, path: string, headers: Record<string, string>) {
  const { request } = await import('node:http');
  return new Promise<{ status: number; headers: Record<string, string | undefined>; bytes: number }>(
    (resolve, reject) => {
      const req = request(`${base}${path}`, { headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string | undefined>,
            bytes,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

async function findStylesheet(base: string, board: SeededBoard): Promise<string> {
  const html = await (await fetch(`${base}${board.path}`, { headers: { cookie: board.cookie } })).text();
  const href = /href="(\/_astro\/[^"]+\.css)"/.exec(html)?.[1];
  if (!href) throw new Error('the board links no stylesheet under /_astro/');
  return href;
}

/** Elements in the document once Chromium has loaded the board, at desktop and phone size. */
async function countElements(
  base: string,
  boards: SeededBoard[],
): Promise<{ tasks: number; desktop: number; phone: number }[]> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const out = [];
    for (const b of boards) {
      const counts: number[] = [];
      for (const viewport of [
        { width: 1280, height: 800 },
        { width: 360, height: 740 },
      ]) {
        const context = await browser.newContext({ viewport, isMobile: viewport.width < 600 });
        const [name = '', value = ''] = b.cookie.split(/=(.*)/s);
        await context.addCookies([{ name, value, url: base }]);
        const page = await context.newPage();
        await page.goto(`${base}${b.path}`, { waitUntil: 'load' });
        counts.push(await page.evaluate(() => document.getElementsByTagName('*').length));
        await context.close();
      }
      out.push({ tasks: b.tasks, desktop: counts[0] ?? 0, phone: counts[1] ?? 0 });
    }
    return out;
  } finally {
    await browser.close();
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
