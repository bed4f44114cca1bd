import { existsSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  downloadObject,
  logsWith,
  missingFrom,
  personalWorkspaceOf,
  runBounded,
  titlesIn,
  workspaceKeyOf,
} from '../support/persistence-helpers.ts';
import {
  appS3Env,
  createTestBucket,
  createTestS3Client,
  deleteTestBucket,
  describeWithS3,
} from '../support/s3-env.ts';
import { ApiClient, type ServerProcess, startServer } from '../support/server.ts';

const IN_FLIGHT = 40;
/** Acknowledged writes on the victim before it is killed: the storm is well under way. */
const KILL_AFTER = 60;

describeWithS3('kill -9 during a write storm', (env) => {
  let bucket: string;
  let s3: S3Client;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    s3 = createTestS3Client(env);
    bucket = await createTestBucket({ versioned: false, purpose: 'crash' });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    s3?.destroy();
    if (bucket) await deleteTestBucket(bucket);
  });

  it('keeps every acknowledged write, and the next process starts from the last acknowledged version', async () => {
    const victim = await startServer({ env: appS3Env(bucket) });
    const survivor = await startServer({ env: appS3Env(bucket) });
    servers.push(victim, survivor);
    const owner = new ApiClient(victim.url);
    await owner.signUp();
    const onSurvivor = new ApiClient(survivor.url);
    onSurvivor.cookie = owner.cookie;
    const key = workspaceKeyOf(await personalWorkspaceOf(owner));

    const acknowledged: string[] = [];
    const failures: Record<string, number> = {};
    let victimAcks = 0;
    let killed = false;
    let writesInFlightAtKill = 0;
    let victimInFlight = 0;
    const t0 = performance.now();
    // Two of every three writes go to the victim; the storm runs on after the kill, on the survivor.
    await runBounded(360, IN_FLIGHT, async (i) => {
      const title = `crash task ${i}`;
      const toVictim = i % 3 !== 2 && !killed;
      const client = toVictim ? owner : onSurvivor;
      if (toVictim) victimInFlight++;
      try {
        const res = await client.post('/api/tasks', { title });
        if (res.status === 201) {
          acknowledged.push(title);
          if (toVictim && ++victimAcks === KILL_AFTER) {
            writesInFlightAtKill = victimInFlight - 1;
            killed = true;
            victim.proc.kill('SIGKILL');
          }
        } else failures[String(res.status)] = (failures[String(res.status)] ?? 0) + 1;
      } catch {
        failures['connection lost'] = (failures['connection lost'] ?? 0) + 1;
      } finally {
        if (toVictim) victimInFlight--;
      }
    });
    // Not victim.stop(): that would delete its data directory, which the next process reuses.
    const exit = await new Promise<{ signal: NodeJS.Signals | null }>((resolve) =>
      victim.proc.signalCode !== null
        ? resolve({ signal: victim.proc.signalCode })
        : victim.proc.once('exit', (_code, signal) => resolve({ signal })),
    );
    console.log(
      `crash: killed after ${KILL_AFTER} acknowledged writes on the victim with ${writesInFlightAtKill} in flight ` +
        `(${Math.round(performance.now() - t0)} ms storm): ${acknowledged.length} acknowledged overall, failed ${JSON.stringify(failures)}`,
    );
    expect(exit.signal).toBe('SIGKILL');
    expect(writesInFlightAtKill).toBeGreaterThan(0);

    // Every acknowledged write is in S3, whichever process acknowledged it.
    const object = await downloadObject(s3, bucket, { key });
    const stored = titlesIn(object.bytes);
    expect(missingFrom(stored, acknowledged)).toEqual([]);

    // A new process on the dead one's disk (its lock file, maybe a hot journal) starts from S3's
    // current object — the last acknowledged version or later — and uploads nothing to do so.
    expect(existsSync(`${victim.dataDir}/work/.lock`)).toBe(true);
    const t1 = performance.now();
    const next = await startServer({ env: appS3Env(bucket), dataDir: victim.dataDir });
    servers.push(next);
    console.log(`crash: next process ready in ${Math.round(performance.now() - t1)} ms`);
    const client = new ApiClient(next.url);
    client.cookie = owner.cookie;
    const listed = await client.get('/api/tasks');
    expect(listed.status).toBe(200);
    const opened = logsWith(next, 'database ready').find((l) => l.kind === 'workspace');
    expect(opened?.etag).toBe(object.etag);
    const titles = new Set<string>(listed.body.tasks.map((t: { title: string }) => t.title));
    expect(missingFrom(titles, acknowledged)).toEqual([]);
    expect(titles).toEqual(stored);
    expect((await downloadObject(s3, bucket, { key })).etag).toBe(object.etag);
    // And it takes writes.
    expect((await client.post('/api/tasks', { title: 'after the crash' })).status).toBe(201);
  });
});
