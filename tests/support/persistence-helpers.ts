import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import type { ServerProcess } from './server.ts';

/** The object key the app uses by default (CC_DB_KEY): its folder holds every object. */
export const DB_KEY = 'code-canvas/app.sqlite';

/** The folder of a CC_DB_KEY ('' or ending in '/'), where the directory and the workspaces live. */
export function prefixOf(dbKey: string = DB_KEY): string {
  return dbKey.includes('/') ? dbKey.slice(0, dbKey.lastIndexOf('/') + 1) : '';
}

/** The directory object's key for a CC_DB_KEY. */
export function directoryKeyOf(dbKey: string = DB_KEY): string {
  return `${prefixOf(dbKey)}directory.sqlite`;
}

/** A workspace object's key for a CC_DB_KEY. */
export function workspaceKeyOf(workspaceId: string, dbKey: string = DB_KEY): string {
  return `${prefixOf(dbKey)}workspaces/${workspaceId}.sqlite`;
}

/** The id of the signed-in client's personal workspace. */
export async function personalWorkspaceOf(api: {
  get(path: string): Promise<{ status: number; body: any }>;
}): Promise<string> {
  const res = await api.get('/api/workspaces');
  const ws = (res.body?.workspaces ?? []).find((w: { personal: boolean }) => w.personal);
  if (!ws) throw new Error(`no personal workspace: ${res.status} ${JSON.stringify(res.body)}`);
  return ws.id;
}

/** Downloads the database object (current, or `versionId`) with a raw S3 client. */
export async function downloadObject(
  s3: S3Client,
  bucket: string,
  opts: { key?: string; versionId?: string } = {},
): Promise<{ bytes: Buffer; etag: string; versionId: string | undefined }> {
  const res = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: opts.key ?? DB_KEY, VersionId: opts.versionId }),
  );
  const bytes = Buffer.from(
    await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  return { bytes, etag: res.ETag ?? '', versionId: res.VersionId };
}

/** Opens database bytes (an S3 object) in memory with SQLite and runs `fn` on it. */
export function withDatabase<T>(bytes: Buffer, fn: (db: Database.Database) => T): T {
  const db = new Database(bytes);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every task title in database bytes, as a set. */
export function titlesIn(bytes: Buffer): Set<string> {
  return withDatabase(
    bytes,
    (db) => new Set((db.prepare('SELECT title FROM tasks').all() as { title: string }[]).map((r) => r.title)),
  );
}

/** The titles in `expected` that `actual` lacks. */
export function missingFrom(actual: Set<string>, expected: Iterable<string>): string[] {
  return [...expected].filter((t) => !actual.has(t));
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` calls in flight; resolves with every result. */
export async function runBounded<T>(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

/** Log lines of a server process with this `msg`. */
export function logsWith(server: ServerProcess, msg: string): Record<string, unknown>[] {
  return server.logs().filter((l) => l.msg === msg);
}

/** Percentile (0–100) of a list of numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
