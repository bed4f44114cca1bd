/**
 * A separate process holding its own LocalSnapshotStore on a shared directory, for the
 * cross-process race tests. Reads one JSON command per stdin line and answers one JSON line:
 *   {"op":"put","ifMatch":"…","body":"text"}        → {"ok":true,"etag":"…"} | {"ok":false,"code":"…"}
 *   {"op":"increment","times":N}                    → {"ok":true,"conflicts":C} (read-modify-write loop)
 * Usage: node tests/support/local-store-worker.ts DIR KEY
 */

import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LocalSnapshotStore } from '../../src/server/persistence/local-store.ts';
import { isStoreError } from '../../src/server/persistence/store.ts';

const [dir, key] = process.argv.slice(2);
if (!dir || !key) throw new Error('usage: local-store-worker.ts DIR KEY');
const store = new LocalSnapshotStore({ dir, key, keepVersions: 1000 });
const scratch = join(tmpdir(), `cc-worker-${process.pid}.bin`);

/** Adds one to the number in the object, retrying when another writer got there first. */
async function incrementOnce(s: LocalSnapshotStore, file: string): Promise<number> {
  for (let conflicts = 0; ; conflicts++) {
    const res = await s.download(file);
    if (res.status !== 'ok') throw new Error(`no object to increment (${res.status})`);
    const n = Number(await readFile(file, 'utf8'));
    try {
      await s.put(new TextEncoder().encode(String(n + 1)), { ifMatch: res.etag });
      return conflicts;
    } catch (err) {
      if (!isStoreError(err, 'precondition_failed')) throw err;
    }
  }
}

async function handle(cmd: {
  op: string;
  ifMatch?: string;
  body?: string;
  times?: number;
}): Promise<unknown> {
  if (cmd.op === 'put') {
    try {
      const info = await store.put(new TextEncoder().encode(cmd.body ?? ''), { ifMatch: cmd.ifMatch ?? '' });
      return { ok: true, etag: info.etag };
    } catch (err) {
      if (isStoreError(err)) return { ok: false, code: err.code, message: err.message };
      throw err;
    }
  }
  if (cmd.op === 'increment') {
    let conflicts = 0;
    for (let i = 0; i < (cmd.times ?? 1); i++) conflicts += await incrementOnce(store, scratch);
    return { ok: true, conflicts };
  }
  throw new Error(`unknown op ${cmd.op}`);
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const reply = await handle(JSON.parse(line));
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
