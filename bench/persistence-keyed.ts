/**
 * What exactly-once costs (issue 14): task creations through one server with an Idempotency-Key
 * next to the same creations without one, interleaved in blocks so machine noise falls on both,
 * S3 behind a counting proxy. The key's record is written in the same transaction as the task, so
 * the target is no extra S3 request per write and an acknowledgement ≤ 1.05 × the unkeyed one.
 * A repeat of a key already answered is measured too: it must upload nothing.
 */
import { randomUUID } from 'node:crypto';
import { FaultProxy } from '../tests/support/fault-proxy.ts';
import { ApiClient, type ServerProcess, startServer } from '../tests/support/server.ts';
import { progress, serverEnv, timed } from './persistence-lib.ts';
import type { BenchContext } from './persistence-measure.ts';

export interface KeyedResult {
  unkeyed: number[];
  keyed: number[];
  /** Resending a key already answered (the retry after a lost response). */
  repeat: number[];
  /** S3 requests per write, by method, as the proxy counted them. */
  perWrite: Record<'unkeyed' | 'keyed' | 'repeat', { GET: number; PUT: number; other: number }>;
}

/** `writes` creations of each kind, in blocks of 20, through one server with S3 behind a counting proxy. */
export async function measureKeyedWrites(c: BenchContext, writes: number): Promise<KeyedResult> {
  const proxy = await new FaultProxy(c.target.endpoint).start();
  let server: ServerProcess | undefined;
  try {
    server = await startServer({
      env: { ...serverEnv(c.target, c.bucket, 'keyed/app.sqlite', proxy.url), CC_LOG_LEVEL: 'warn' },
    });
    const api = new ApiClient(server.url);
    await api.signUp();
    const answered: string[] = [];
    const create = (key: string | undefined) => async () => {
      const headers: Record<string, string> = key ? { 'idempotency-key': key } : {};
      const res = await api.post('/api/tasks', { title: `keyed bench ${key ?? 'plain'}` }, headers);
      if (res.status !== 201) throw new Error(`write failed: ${res.status} ${JSON.stringify(res.body)}`);
    };
    // Warm up both paths (connections, statement caches, the first purge of expired keys).
    for (let i = 0; i < 10; i++) {
      await create(undefined)();
      await create(randomUUID())();
    }
    progress(
      `exactly-once: ${writes} task creations with an Idempotency-Key, ${writes} without, ${writes} repeats…`,
    );
    const out: KeyedResult = {
      unkeyed: [],
      keyed: [],
      repeat: [],
      perWrite: {
        unkeyed: { GET: 0, PUT: 0, other: 0 },
        keyed: { GET: 0, PUT: 0, other: 0 },
        repeat: { GET: 0, PUT: 0, other: 0 },
      },
    };
    const count = (kind: keyof KeyedResult['perWrite']) => {
      const { requests } = proxy.takeCounts();
      for (const [method, n] of Object.entries(requests)) {
        const slot = method === 'GET' || method === 'PUT' ? method : 'other';
        out.perWrite[kind][slot] += n ?? 0;
      }
    };
    for (let done = 0; done < writes; done += 20) {
      const n = Math.min(20, writes - done);
      proxy.takeCounts();
      for (let i = 0; i < n; i++) out.unkeyed.push(await timed(create(undefined)));
      count('unkeyed');
      for (let i = 0; i < n; i++) {
        const key = randomUUID();
        answered.push(key);
        out.keyed.push(await timed(create(key)));
      }
      count('keyed');
      for (let i = 0; i < n; i++) out.repeat.push(await timed(create(answered[done + i])));
      count('repeat');
    }
    for (const kind of ['unkeyed', 'keyed', 'repeat'] as const) {
      for (const slot of ['GET', 'PUT', 'other'] as const) out.perWrite[kind][slot] /= writes;
    }
    return out;
  } finally {
    await server?.stop();
    await proxy.close();
  }
}
