/**
 * Parts of `npm run bench:persistence` (bench/persistence.ts): settings, the S3 under test, padded
 * databases, timing helpers and the fleet run. Nothing here prints tables.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { migrate } from '../src/server/db/migrate.ts';
import { workspaceMigrations } from '../src/server/db/migrations.ts';
import type { S3StoreOptions } from '../src/server/persistence/s3-store.ts';
import { ApiClient, type ServerProcess, startServer } from '../tests/support/server.ts';

/** Settings: `--name=value` flags win over BENCH_* variables, which win over the defaults. */
export function setting(flag: string, envName: string, fallback: string): string {
  const prefix = `--${flag}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  return arg?.slice(prefix.length) ?? process.env[envName] ?? fallback;
}

export function numbers(list: string): number[] {
  const out = list.split(',').map((s) => Number(s.trim()));
  if (out.some((n) => !Number.isFinite(n) || n <= 0))
    throw new Error(`"${list}" is not a list of positive numbers`);
  return out;
}

/** The S3 under test, from the shared test contract (CC_TEST_S3_*, AWS_* credentials). */
export interface S3Target {
  endpoint: string;
  region: string;
  unquotedEtags: boolean;
  prefix: string;
}

export function readS3Target(): S3Target {
  const endpoint = setting('endpoint', 'CC_TEST_S3_ENDPOINT', '').trim();
  if (!endpoint) {
    process.stderr.write(
      'bench:persistence: set CC_TEST_S3_ENDPOINT (e.g. http://127.0.0.1:7480 after `bash .ci/ceph-s3/start.sh`, ' +
        'with AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=testsecret CC_TEST_S3_UNQUOTED_ETAGS=1)\n',
    );
    process.exit(2);
  }
  return {
    endpoint,
    region: process.env.CC_TEST_S3_REGION?.trim() || 'us-east-1',
    unquotedEtags: ['1', 'true', 'yes'].includes((process.env.CC_TEST_S3_UNQUOTED_ETAGS ?? '').trim()),
    prefix: process.env.CC_TEST_S3_BUCKET_PREFIX?.trim() || 'cc-test',
  };
}

/** A raw client with the settings the app's store uses (path style, no checksum trailers). */
export function rawClient(t: S3Target, endpoint = t.endpoint): S3Client {
  return new S3Client({
    region: t.region,
    endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function storeOptions(t: S3Target, bucket: string, key: string): S3StoreOptions {
  return {
    bucket,
    key,
    region: t.region,
    endpoint: t.endpoint,
    forcePathStyle: true,
    unquotedEtags: t.unquotedEtags,
    timeoutMs: 30_000,
  };
}

/** The CC_* settings that point a server process at `bucket`/`key`. */
export function serverEnv(
  t: S3Target,
  bucket: string,
  key: string,
  endpoint = t.endpoint,
): Record<string, string> {
  const env: Record<string, string> = {
    CC_S3_BUCKET: bucket,
    CC_DB_KEY: key,
    CC_S3_ENDPOINT: endpoint,
    CC_S3_FORCE_PATH_STYLE: 'true',
    CC_S3_UNQUOTED_ETAGS: String(t.unquotedEtags),
    CC_S3_REGION: t.region,
  };
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return env;
}

export async function createBucket(s3: S3Client, t: S3Target): Promise<string> {
  const name = `${t.prefix}-bench-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** Deletes every object (and version) and the bucket. */
export async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])];
    await Promise.all(
      entries.map((e) =>
        s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: e.Key, VersionId: e.VersionId })),
      ),
    );
    if (!page.IsTruncated) break;
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * A workspace database (every migration applied) padded with random blobs to about `bytes`, with a
 * `bench_writes` table for the small writes. Returns the file's bytes.
 */
export function paddedDatabase(bytes: number): Buffer {
  const db = new Database(':memory:');
  try {
    db.exec('BEGIN');
    migrate(db, workspaceMigrations);
    db.exec('CREATE TABLE bench_pad (id INTEGER PRIMARY KEY, blob BLOB NOT NULL) STRICT');
    db.exec('CREATE TABLE bench_writes (id INTEGER PRIMARY KEY, at TEXT NOT NULL) STRICT');
    const insert = db.prepare('INSERT INTO bench_pad (blob) VALUES (?)');
    const chunk = 64 * 1024;
    for (let n = 0; n + chunk < bytes - 64 * 1024; n += chunk) insert.run(randomBytes(chunk));
    db.exec('COMMIT');
    return db.serialize();
  } finally {
    db.close();
  }
}

/** Downloads an object into memory with a raw client (for checking what S3 holds). */
export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(
    await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

/** Runs `fn` on database bytes opened in memory. */
export function inDatabase<T>(bytes: Buffer, fn: (db: Database.Database) => T): T {
  const db = new Database(bytes);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Nearest-rank percentile. */
export function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

export function progress(line: string): void {
  process.stdout.write(`· ${line}\n`);
}

export interface FleetResult {
  processes: number;
  writes: number;
  acknowledged: number;
  unavailable: number;
  otherFailures: number;
  ms: number;
  p50: number;
  p99: number;
  conflicts: number;
  lost: number;
  /** Stored but never acknowledged (none expected without faults). */
  unacknowledgedStored: number;
}

/**
 * `processes` servers on one workspace (the owner's personal one), `writes` task creations spread round-robin across them with
 * `concurrency` in flight; then the S3 object is opened with SQLite and checked against the
 * acknowledged set.
 */
export async function runFleet(
  t: S3Target,
  s3: S3Client,
  bucket: string,
  o: { processes: number; writes: number; concurrency: number },
): Promise<FleetResult> {
  const key = `fleet-${o.processes}/app.sqlite`;
  const env = { ...serverEnv(t, bucket, key), CC_LOG_LEVEL: 'info' };
  const servers: ServerProcess[] = [await startServer({ env })];
  try {
    servers.push(...(await Promise.all(Array.from({ length: o.processes - 1 }, () => startServer({ env })))));
    const owner = new ApiClient((servers[0] as ServerProcess).url);
    await owner.signUp();
    const workspaces = (await owner.get('/api/workspaces')).body.workspaces as { id: string }[];
    const workspaceKey = `${key.slice(0, key.lastIndexOf('/') + 1)}workspaces/${workspaces[0]?.id}.sqlite`;
    const clients = servers.map((s) => {
      const c = new ApiClient(s.url);
      c.cookie = owner.cookie;
      return c;
    });
    const latencies: number[] = [];
    const acknowledged: string[] = [];
    let unavailable = 0;
    let otherFailures = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        for (;;) {
          const i = next++;
          if (i >= o.writes) return;
          const title = `fleet ${o.processes} task ${i}`;
          const started = performance.now();
          const res = await (clients[i % clients.length] as ApiClient).post('/api/tasks', { title });
          if (res.status === 201) {
            latencies.push(performance.now() - started);
            acknowledged.push(title);
          } else if (res.status === 503) unavailable++;
          else otherFailures++;
        }
      }),
    );
    const ms = performance.now() - t0;
    const stored = inDatabase(
      await getBytes(s3, bucket, workspaceKey),
      (db) =>
        new Set((db.prepare('SELECT title FROM tasks').all() as { title: string }[]).map((r) => r.title)),
    );
    const ackSet = new Set(acknowledged);
    return {
      processes: o.processes,
      writes: o.writes,
      acknowledged: acknowledged.length,
      unavailable,
      otherFailures,
      ms,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      conflicts: servers.reduce(
        (n, s) =>
          n +
          s.logs().filter((l) => l.msg === 'write conflict: another instance wrote first; applying again')
            .length,
        0,
      ),
      lost: acknowledged.filter((x) => !stored.has(x)).length,
      unacknowledgedStored: [...stored].filter((x) => !ackSet.has(x)).length,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
