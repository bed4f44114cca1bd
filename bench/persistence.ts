/**
 * `npm run bench:persistence`: what the persistence engine costs against the S3 under test, each
 * figure next to a baseline measured in the same run:
 * - write acknowledgement (one small write, the whole database uploaded) for padded databases, next
 *   to a bare PutObject of the same bytes (target: ≤ 1.2 × bare + 5 ms), and to a bare PutObject
 *   with If-Match (what the S3 server itself charges for the condition);
 * - read latency through a server with revalidation (CC_MAX_STALENESS_MS=0) and without (one day),
 *   next to a bare conditional GET (target: revalidation adds one conditional round trip), and the
 *   same in-process (engine.ensureFresh() vs the bare GET, without HTTP or process scheduling);
 * - cold-start restore (download, quick_check, migrations) by size, next to a bare GetObject;
 * - exactly-once: task creations with an Idempotency-Key next to the same without (target: no
 *   extra S3 request, acknowledgement ≤ 1.05 ×), and a repeated key (must upload nothing);
 * - fleet write throughput with 1, 2 and 4 server processes on one object, with conflicts and 503s;
 * and checks that no acknowledged write is missing from S3 anywhere (exit 1 if one is).
 *
 * S3: CC_TEST_S3_ENDPOINT, CC_TEST_S3_REGION, CC_TEST_S3_UNQUOTED_ETAGS, CC_TEST_S3_BUCKET_PREFIX and
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as for the tests. It creates and deletes its own bucket
 * (and, on the CI's Ceph, collects radosgw's garbage: see collectCephGarbage).
 * Settings (flag or env, default): --sizes BENCH_SIZES_MB (1,10,100); --writes BENCH_WRITES per size
 * (300,30,9); --restores BENCH_RESTORES (3); --reads BENCH_READS (200); --fleet BENCH_FLEET (1,2,4);
 * --fleet-writes BENCH_FLEET_WRITES (300); --fleet-concurrency BENCH_FLEET_CONCURRENCY (32);
 * --keyed-writes BENCH_KEYED_WRITES (200).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, printTable } from './lib.ts';
import { type KeyedResult, measureKeyedWrites } from './persistence-keyed.ts';
import {
  createBucket,
  deleteBucket,
  type FleetResult,
  numbers,
  pct,
  progress,
  rawClient,
  readS3Target,
  runFleet,
  setting,
} from './persistence-lib.ts';
import { type BenchContext, MB, measureReads, measureSize, type SizeResult } from './persistence-measure.ts';

const sizes = numbers(setting('sizes', 'BENCH_SIZES_MB', '1,10,100'));
const writeCounts = numbers(setting('writes', 'BENCH_WRITES', '300,30,9'));
const restores = Number(setting('restores', 'BENCH_RESTORES', '3'));
const reads = Number(setting('reads', 'BENCH_READS', '200'));
const fleetSizes = numbers(setting('fleet', 'BENCH_FLEET', '1,2,4'));
const fleetWrites = Number(setting('fleet-writes', 'BENCH_FLEET_WRITES', '300'));
const fleetConcurrency = Number(setting('fleet-concurrency', 'BENCH_FLEET_CONCURRENCY', '32'));
const keyedWrites = Number(setting('keyed-writes', 'BENCH_KEYED_WRITES', '200'));

const target = readS3Target();
ensureBuilt();
const s3 = rawClient(target);
const c: BenchContext = {
  target,
  s3,
  bucket: await createBucket(s3, target),
  work: mkdtempSync(join(tmpdir(), 'cc-bench-persistence-')),
  collectGarbage: () => collectCephGarbage(false),
};
const started = performance.now();
progress(`S3 ${target.endpoint}, bucket ${c.bucket}; node ${process.version}`);

const ms = (v: number) => Math.round(v * 10) / 10;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const sizeLabel = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

function printWrites(results: SizeResult[]): void {
  process.stdout.write(
    '\nWrite acknowledgement: one small write, the whole database uploaded with If-Match\n',
  );
  printTable(
    [
      'db size',
      'writes',
      'engine p50',
      'engine p99',
      'bare PUT p50',
      'bare PUT p99',
      'ratio p50',
      'ratio p99',
      'target ≤1.2×+5 ms (p50, p99)',
      'bare If-Match PUT p50',
      'bare PUT streamed from a file p50',
      'ratio p50 vs streamed',
      'lost',
    ],
    results.map((r) => {
      const e50 = pct(r.writes, 50);
      const b50 = pct(r.bare, 50);
      const e99 = pct(r.writes, 99);
      const b99 = pct(r.bare, 99);
      const over = Math.max(e50 - 1.2 * b50 - 5, e99 - 1.2 * b99 - 5);
      return [
        sizeLabel(r.bytes),
        r.writes.length,
        ms(e50),
        ms(e99),
        ms(b50),
        ms(b99),
        ratio(e50, b50),
        ratio(e99, b99),
        over <= 0 ? 'met' : `missed by ${ms(over)} ms`,
        ms(pct(r.bareIfMatch, 50)),
        ms(pct(r.bareStream, 50)),
        ratio(e50, pct(r.bareStream, 50)),
        r.lost,
      ];
    }),
  );
}

function printRestores(results: SizeResult[]): void {
  process.stdout.write(
    '\nCold-start restore (download, quick_check, migrations) vs a bare GetObject to disk\n',
  );
  printTable(
    ['db size', 'starts', 'engine p50', 'engine max', 'bare GET p50', 'ratio p50', 'quick_check alone p50'],
    results.map((r) => [
      sizeLabel(r.bytes),
      r.restore.length,
      ms(pct(r.restore, 50)),
      ms(Math.max(...r.restore)),
      ms(pct(r.bareGet, 50)),
      ratio(pct(r.restore, 50), pct(r.bareGet, 50)),
      ms(pct(r.check, 50)),
    ]),
  );
}

function printReads(rv: Awaited<ReturnType<typeof measureReads>>): void {
  process.stdout.write(
    '\nReads: GET /api/tasks (20 tasks) through a server, S3 behind a counting proxy (a read revalidates the directory and the workspace in parallel); then in-process\n',
  );
  printTable(
    ['read path', 'n', 'p50', 'p99', 'S3 GETs per read', 'ratio p50'],
    [
      [
        'server, revalidating (staleness 0)',
        rv.revalidating.length,
        ms(pct(rv.revalidating, 50)),
        ms(pct(rv.revalidating, 99)),
        rv.getsPerRead.revalidating,
        ratio(pct(rv.revalidating, 50), pct(rv.trusting, 50)),
      ],
      [
        'server, trusting its copy (1 day)',
        rv.trusting.length,
        ms(pct(rv.trusting, 50)),
        ms(pct(rv.trusting, 99)),
        rv.getsPerRead.trusting,
        '1.00×',
      ],
      [
        'bare conditional GET via proxy (304)',
        rv.conditionalGet.length,
        ms(pct(rv.conditionalGet, 50)),
        ms(pct(rv.conditionalGet, 99)),
        1,
        '',
      ],
      [
        'in-process engine.ensureFresh()',
        rv.ensureFresh.length,
        ms(pct(rv.ensureFresh, 50)),
        ms(pct(rv.ensureFresh, 99)),
        1,
        ratio(pct(rv.ensureFresh, 50), pct(rv.conditionalGetDirect, 50)),
      ],
      [
        'in-process bare conditional GET (304)',
        rv.conditionalGetDirect.length,
        ms(pct(rv.conditionalGetDirect, 50)),
        ms(pct(rv.conditionalGetDirect, 99)),
        1,
        '1.00×',
      ],
    ],
  );
  const overhead = pct(rv.revalidating, 50) - pct(rv.trusting, 50);
  process.stdout.write(
    `revalidation adds ${ms(overhead)} ms per server read at p50 (${ratio(overhead, pct(rv.conditionalGet, 50))} a bare conditional GET); ` +
      `in-process it costs ${ratio(pct(rv.ensureFresh, 50), pct(rv.conditionalGetDirect, 50))} a bare conditional GET; uploads during reads: ${rv.putsDuringReads}\n`,
  );
}

function printKeyed(k: KeyedResult): void {
  process.stdout.write(
    '\nExactly-once: POST /api/tasks through a server with and without an Idempotency-Key, S3 behind a counting proxy\n',
  );
  const base = pct(k.unkeyed, 50);
  const row = (name: string, samples: number[], kind: keyof KeyedResult['perWrite']) => [
    name,
    samples.length,
    ms(pct(samples, 50)),
    ms(pct(samples, 99)),
    ratio(pct(samples, 50), base),
    k.perWrite[kind].GET.toFixed(2),
    k.perWrite[kind].PUT.toFixed(2),
    k.perWrite[kind].other.toFixed(2),
  ];
  printTable(
    ['write', 'n', 'p50', 'p99', 'ratio p50', 'S3 GET/write', 'S3 PUT/write', 'other/write'],
    [
      row('without a key', k.unkeyed, 'unkeyed'),
      row('with a new key', k.keyed, 'keyed'),
      row('a key already answered', k.repeat, 'repeat'),
    ],
  );
  const extra =
    k.perWrite.keyed.GET +
    k.perWrite.keyed.PUT +
    k.perWrite.keyed.other -
    (k.perWrite.unkeyed.GET + k.perWrite.unkeyed.PUT + k.perWrite.unkeyed.other);
  const r = pct(k.keyed, 50) / base;
  process.stdout.write(
    `a key costs ${extra > 0.005 ? `${extra.toFixed(2)} extra S3 requests` : 'no extra S3 request'} per write and ` +
      `${ratio(pct(k.keyed, 50), base)} the acknowledgement at p50 (target ≤ 1.05×: ${r <= 1.05 ? 'met' : 'missed'}); ` +
      `a repeat uploads ${k.perWrite.repeat.PUT.toFixed(2)} times\n`,
  );
}

function printFleet(fleet: FleetResult[]): void {
  process.stdout.write(
    `\nFleet: ${fleetWrites} task creations through the JSON API, ${fleetConcurrency} in flight, spread over N processes on one object\n`,
  );
  const rateOf = (f: FleetResult) => f.acknowledged / (f.ms / 1000);
  const base = fleet[0] ? rateOf(fleet[0]) : 1;
  printTable(
    [
      'processes',
      'acked',
      'acked/s',
      'vs first row',
      'p50',
      'p99',
      'conflicts',
      '503s',
      'lost',
      'stored unacked',
    ],
    fleet.map((f) => [
      f.processes,
      f.acknowledged,
      Math.round(rateOf(f)),
      ratio(rateOf(f), base),
      ms(f.p50),
      ms(f.p99),
      f.conflicts,
      f.unavailable,
      f.lost,
      f.unacknowledgedStored,
    ]),
  );
}

/**
 * Ceph's radosgw frees the tails of overwritten or deleted objects only after rgw_gc_obj_min_wait
 * (2 h), and the CI's OSD keeps them in RAM (4 GiB): the 100 MB uploads would fill it mid-run and
 * stall every PUT, so collect between rounds and at the end. Best effort, only for the CI's own
 * Ceph on loopback (.ci/ceph-s3).
 */
function collectCephGarbage(say = true): void {
  const conf = `${process.env.CEPH_S3_DIR ?? '/tmp/ceph-s3/data'}/ceph.conf`;
  if (!/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(target.endpoint) || !existsSync(conf)) return;
  try {
    execFileSync('radosgw-admin', ['gc', 'process', '--include-all'], {
      env: { ...process.env, CEPH_CONF: conf },
      stdio: 'ignore',
      timeout: 120_000,
    });
    if (say) progress("collected radosgw's garbage (radosgw-admin gc process --include-all)");
  } catch {
    // Not the CI's Ceph after all, or no radosgw-admin: nothing to do.
  }
}

let exitCode = 0;
try {
  const sizeResults: SizeResult[] = [];
  for (const [i, mb] of sizes.entries()) {
    sizeResults.push(
      await measureSize(c, mb, writeCounts[Math.min(i, writeCounts.length - 1)] as number, restores),
    );
  }
  const readResult = await measureReads(c, reads);
  const keyed = await measureKeyedWrites(c, keyedWrites);
  const fleet: FleetResult[] = [];
  for (const n of fleetSizes) {
    progress(`fleet: ${n} process(es), ${fleetWrites} task creations, ${fleetConcurrency} in flight…`);
    fleet.push(
      await runFleet(target, s3, c.bucket, {
        processes: n,
        writes: fleetWrites,
        concurrency: fleetConcurrency,
      }),
    );
  }
  process.stdout.write('\nAll times in ms.\n');
  printWrites(sizeResults);
  printRestores(sizeResults);
  printReads(readResult);
  printKeyed(keyed);
  printFleet(fleet);
  const lost = sizeResults.reduce((n, r) => n + r.lost, 0) + fleet.reduce((n, f) => n + f.lost, 0);
  const failures = fleet.reduce((n, f) => n + f.otherFailures, 0);
  process.stdout.write(
    `\nlost acknowledged writes: ${lost}; failures other than 201/503: ${failures}; ` +
      `finished in ${Math.round((performance.now() - started) / 1000)} s\n`,
  );
  if (lost > 0 || failures > 0 || readResult.putsDuringReads > 0 || keyed.perWrite.repeat.PUT > 0)
    exitCode = 1;
} finally {
  progress(`deleting bucket ${c.bucket}`);
  await deleteBucket(s3, c.bucket).catch((err) =>
    process.stderr.write(`could not delete ${c.bucket}: ${err}\n`),
  );
  s3.destroy();
  rmSync(c.work, { recursive: true, force: true });
  collectCephGarbage();
}
process.exit(exitCode);
