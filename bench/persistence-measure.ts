/**
 * The single-process measurements of `npm run bench:persistence`: write acknowledgement and cold
 * start by database size (engine in-process vs bare S3 calls), and reads with and without
 * revalidation (through servers, and in-process).
 */
import { createReadStream, createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectKind, WORKSPACE } from '../src/server/db/kinds.ts';
import { createLogger } from '../src/server/log.ts';
import { Replica } from '../src/server/persistence/replica.ts';
import { S3SnapshotStore } from '../src/server/persistence/s3-store.ts';
import { quickCheck } from '../src/server/persistence/sqlite-file.ts';
import { WorkingCopy } from '../src/server/persistence/working-copy.ts';
import { FaultProxy } from '../tests/support/fault-proxy.ts';
import { ApiClient, type ServerProcess, startServer } from '../tests/support/server.ts';
import {
  getBytes,
  inDatabase,
  paddedDatabase,
  progress,
  rawClient,
  type S3Target,
  serverEnv,
  storeOptions,
  timed,
} from './persistence-lib.ts';

export const MB = 1024 * 1024;

/** What every measurement needs: the S3 under test, a raw client, the bench's bucket, a scratch dir. */
export interface BenchContext {
  target: S3Target;
  s3: S3Client;
  bucket: string;
  work: string;
  /** Frees what overwritten objects leave behind on the S3 server (outside any timed section). */
  collectGarbage?: () => void;
}

const log = createLogger('error');

/** The engine's replica of one workspace object (what every write and read of a workspace goes through). */
function openEngine(
  c: BenchContext,
  key: string,
  dir: string,
): { engine: Replica & { start(): Promise<void> }; store: S3SnapshotStore } {
  const store = new S3SnapshotStore(storeOptions(c.target, c.bucket, key));
  const replica = new Replica({
    store,
    copy: new WorkingCopy(join(c.work, dir, 'workspace.sqlite'), (db) => db.pragma('foreign_keys = ON')),
    kind: objectKind(WORKSPACE),
    maxStalenessMs: 0,
    writeAttempts: 8,
    log,
  });
  const engine = Object.assign(replica, { start: () => replica.open({ ifAbsent: 'create' }) });
  return { engine, store };
}

export interface SizeResult {
  mb: number;
  bytes: number;
  /** engine.write() of one small row: resolves once the whole database is in S3. */
  writes: number[];
  /** PutObject of the same bytes, unconditional. */
  bare: number[];
  /** PutObject of the same bytes with If-Match: what S3 itself charges for the condition. */
  bareIfMatch: number[];
  /** PutObject of the same bytes streamed from a file (as the engine sends its image), unconditional. */
  bareStream: number[];
  /** engine.start(): download, quick_check, migrations (none pending). */
  restore: number[];
  /** GetObject of the same object to a file, with a fresh client (a cold start opens a connection). */
  bareGet: number[];
  /** PRAGMA quick_check alone on the downloaded file. */
  check: number[];
  /** Acknowledged writes missing from the object afterwards. */
  lost: number;
}

/** Cold starts and small writes on an app database padded to `mb` MB. */
export async function measureSize(
  c: BenchContext,
  mb: number,
  writeCount: number,
  restores: number,
): Promise<SizeResult> {
  const key = `size-${mb}mb/app.sqlite`;
  const bytes = paddedDatabase(mb * MB);
  await c.s3.send(new PutObjectCommand({ Bucket: c.bucket, Key: key, Body: bytes }));
  progress(`${mb} MB: uploaded a ${(bytes.length / MB).toFixed(1)} MB database; ${restores} cold starts…`);
  const r: SizeResult = {
    mb,
    bytes: bytes.length,
    writes: [],
    bare: [],
    bareIfMatch: [],
    bareStream: [],
    restore: [],
    bareGet: [],
    check: [],
    lost: 0,
  };
  for (let i = 0; i < restores; i++) {
    const { engine, store } = openEngine(c, key, `restore-${mb}-${i}`);
    r.restore.push(await timed(() => engine.start()));
    engine.close();
    store.destroy();
    const cold = rawClient(c.target);
    const file = join(c.work, `bare-${mb}-${i}.bin`);
    r.bareGet.push(
      await timed(async () => {
        const res = await cold.send(new GetObjectCommand({ Bucket: c.bucket, Key: key }));
        await pipeline(res.Body as Readable, createWriteStream(file));
      }),
    );
    cold.destroy();
    r.check.push(await timed(async () => quickCheck(file)));
  }

  progress(
    `${mb} MB: ${writeCount} writes, each next to bare PutObjects of the same ${(bytes.length / MB).toFixed(1)} MB…`,
  );
  const { engine, store } = openEngine(c, key, `writes-${mb}`);
  await engine.start();
  const write = () =>
    engine.write((db) =>
      db.prepare('INSERT INTO bench_writes (at) VALUES (?)').run(new Date().toISOString()),
    );
  const bareKey = `bare-${mb}mb`;
  const bare = () => c.s3.send(new PutObjectCommand({ Bucket: c.bucket, Key: bareKey, Body: bytes }));
  let etag = '';
  const bareIfMatch = async () => {
    const res = await c.s3.send(
      new PutObjectCommand({
        Bucket: c.bucket,
        Key: bareKey,
        Body: bytes,
        IfMatch: c.target.unquotedEtags ? etag.replace(/"/g, '') : etag,
      }),
    );
    etag = res.ETag ?? '';
  };
  const bareFile = join(c.work, `bare-${mb}.bin`);
  writeFileSync(bareFile, bytes);
  const bareStream = () =>
    c.s3.send(
      new PutObjectCommand({
        Bucket: c.bucket,
        Key: bareKey,
        Body: createReadStream(bareFile, { highWaterMark: MB }),
        ContentLength: bytes.length,
      }),
    );
  c.collectGarbage?.(); // what earlier rounds left
  // One of each first, so no side pays for opening connections in the figures.
  await write();
  etag = (await bare()).ETag ?? '';
  const rounds: [number[], () => Promise<unknown>][] = [
    [r.writes, write],
    [r.bare, async () => (etag = (await bare()).ETag ?? '')],
    [r.bareIfMatch, bareIfMatch],
    [r.bareStream, async () => (etag = (await bareStream()).ETag ?? '')],
  ];
  let overwritten = 0;
  for (let i = 0; i < writeCount; i++) {
    if (overwritten > 1024 * MB) {
      c.collectGarbage?.();
      overwritten = 0;
    }
    overwritten += rounds.length * bytes.length;
    // Each round starts with the next one in turn: whatever follows a garbage collection or a
    // pause of the S3 server falls on every kind of PUT alike.
    for (let k = 0; k < rounds.length; k++) {
      const [samples, run] = rounds[(i + k) % rounds.length] as (typeof rounds)[number];
      samples.push(await timed(run));
    }
  }
  engine.close();
  store.destroy();
  const stored = inDatabase(
    await getBytes(c.s3, c.bucket, key),
    (db) => (db.prepare('SELECT count(*) AS n FROM bench_writes').get() as { n: number }).n,
  );
  r.lost = writeCount + 1 - stored;
  return r;
}

export interface ReadResult {
  /** GET /api/tasks on a server with CC_MAX_STALENESS_MS=0. */
  revalidating: number[];
  /** The same on a server that trusts its copy for a day. */
  trusting: number[];
  /** A conditional GetObject answered 304, from the bench process through the same proxy. */
  conditionalGet: number[];
  getsPerRead: { revalidating: number; trusting: number };
  /** PUTs the proxy saw during the reads (must be 0). */
  putsDuringReads: number;
  /** In-process: engine.ensureFresh() with nothing changed, and a bare conditional GET, both direct. */
  ensureFresh: number[];
  conditionalGetDirect: number[];
}

/** Two servers through a counting proxy, then the engine in-process: what revalidation costs. */
export async function measureReads(c: BenchContext, reads: number): Promise<ReadResult> {
  const dbKey = 'reads/app.sqlite';
  const proxy = await new FaultProxy(c.target.endpoint).start();
  const env = { ...serverEnv(c.target, c.bucket, dbKey, proxy.url), CC_LOG_LEVEL: 'warn' };
  const servers: ServerProcess[] = [];
  const viaProxy = rawClient(c.target, proxy.url);
  try {
    const a = await startServer({ env: { ...env, CC_MAX_STALENESS_MS: '0' } });
    servers.push(a);
    const onA = new ApiClient(a.url);
    await onA.signUp();
    for (let i = 0; i < 20; i++) await onA.post('/api/tasks', { title: `read bench task ${i}` });
    // Started after the writes, so both list the same 20 tasks.
    const b = await startServer({ env: { ...env, CC_MAX_STALENESS_MS: '86400000' } });
    servers.push(b);
    const onB = new ApiClient(b.url);
    onB.cookie = onA.cookie;
    // A read touches the directory (session, membership) and the workspace; the bare GET stands in
    // for the workspace's revalidation, the one a read cannot do without.
    const workspaces = (await onA.get('/api/workspaces')).body.workspaces as { id: string }[];
    const key = `reads/workspaces/${workspaces[0]?.id}.sqlite`;
    const etag = (await c.s3.send(new HeadObjectCommand({ Bucket: c.bucket, Key: key }))).ETag ?? '';
    const conditionalGet = (client: S3Client) => async () => {
      try {
        await client.send(new GetObjectCommand({ Bucket: c.bucket, Key: key, IfNoneMatch: etag }));
        throw new Error('expected 304 Not Modified');
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 304) throw err;
      }
    };
    const read = (api: ApiClient) => async () => {
      const res = await api.get('/api/tasks');
      if (res.status !== 200 || res.body.tasks.length !== 20) throw new Error(`read failed: ${res.status}`);
    };
    for (let i = 0; i < 10; i++) await Promise.all([read(onA)(), read(onB)(), conditionalGet(viaProxy)()]);
    progress(`reads: ${reads} each with and without revalidation, and ${reads} bare conditional GETs…`);
    const out: ReadResult = {
      revalidating: [],
      trusting: [],
      conditionalGet: [],
      getsPerRead: { revalidating: 0, trusting: 0 },
      putsDuringReads: 0,
      ensureFresh: [],
      conditionalGetDirect: [],
    };
    const gets = { revalidating: 0, trusting: 0 };
    // Interleaved in blocks of 20, so machine noise falls on all three alike.
    for (let done = 0; done < reads; done += 20) {
      const n = Math.min(20, reads - done);
      for (const [name, api] of [
        ['revalidating', onA],
        ['trusting', onB],
      ] as const) {
        proxy.takeCounts();
        for (let i = 0; i < n; i++) out[name].push(await timed(read(api)));
        const counts = proxy.takeCounts();
        gets[name] += counts.requests.GET ?? 0;
        out.putsDuringReads += counts.requests.PUT ?? 0;
      }
      for (let i = 0; i < n; i++) out.conditionalGet.push(await timed(conditionalGet(viaProxy)));
    }
    out.getsPerRead = { revalidating: gets.revalidating / reads, trusting: gets.trusting / reads };

    progress(`reads: ${reads} in-process engine.ensureFresh() next to ${reads} bare conditional GETs…`);
    const { engine, store } = openEngine(c, key, 'reads-in-process');
    await engine.start();
    const direct = conditionalGet(c.s3);
    await engine.ensureFresh();
    await direct();
    for (let i = 0; i < reads; i++) {
      out.ensureFresh.push(await timed(() => engine.ensureFresh()));
      out.conditionalGetDirect.push(await timed(direct));
    }
    engine.close();
    store.destroy();
    return out;
  } finally {
    viaProxy.destroy();
    await Promise.all(servers.map((s) => s.stop()));
    await proxy.close();
  }
}
