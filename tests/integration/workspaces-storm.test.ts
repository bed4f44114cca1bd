import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  downloadObject,
  missingFrom,
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

const INSTANCES = 3;
const WORKSPACES = 3;
const WRITES = 270;
const IN_FLIGHT = 30;
/** Acknowledged writes on the victim before it is killed. */
const KILL_AFTER = 30;

/**
 * Three instances and three workspaces on one bucket, writing at once, one instance killed with
 * SIGKILL mid-storm: every acknowledged write is in its own workspace's object, and nothing is in
 * another's.
 */
describeWithS3('a write storm across instances and workspaces, with kill -9', (env) => {
  let bucket: string;
  let s3: S3Client;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    s3 = createTestS3Client(env);
    bucket = await createTestBucket({ versioned: false, purpose: 'storm' });
    servers.push(
      ...(await Promise.all(Array.from({ length: INSTANCES }, () => startServer({ env: appS3Env(bucket) })))),
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    s3?.destroy();
    if (bucket) await deleteTestBucket(bucket);
  });

  it('keeps every acknowledged write in its own workspace, and nothing in another', async () => {
    const owner = new ApiClient((servers[0] as ServerProcess).url);
    await owner.signUp();
    const workspaces: string[] = [];
    for (let w = 0; w < WORKSPACES; w++) {
      workspaces.push((await owner.post('/api/workspaces', { name: `Storm ${w}` })).body.workspace.id);
    }
    const clients = servers.map((s) => {
      const c = new ApiClient(s.url);
      c.cookie = owner.cookie;
      return c;
    });
    const victim = servers[0] as ServerProcess;
    const acknowledged: string[][] = workspaces.map(() => []);
    const failures: Record<string, number> = {};
    let victimAcks = 0;
    let killed = false;
    await runBounded(WRITES, IN_FLIGHT, async (i) => {
      const w = i % WORKSPACES;
      const instance = killed ? 1 + (i % (INSTANCES - 1)) : Math.floor(i / WORKSPACES) % INSTANCES;
      const title = `W${w} task ${i}`;
      try {
        const res = await (clients[instance] as ApiClient).post(`/api/workspaces/${workspaces[w]}/tasks`, {
          title,
        });
        if (res.status === 201) {
          acknowledged[w]?.push(title);
          if (instance === 0 && ++victimAcks === KILL_AFTER && !killed) {
            killed = true;
            victim.proc.kill('SIGKILL');
          }
        } else failures[String(res.status)] = (failures[String(res.status)] ?? 0) + 1;
      } catch {
        failures['connection lost'] = (failures['connection lost'] ?? 0) + 1;
      }
    });
    console.log(
      `storm: ${acknowledged.map((a) => a.length).join(' + ')} acknowledged in ${WORKSPACES} workspaces, ` +
        `victim killed after ${victimAcks}; failed ${JSON.stringify(failures)}`,
    );
    expect(killed).toBe(true);
    for (const [w, id] of workspaces.entries()) {
      const stored = titlesIn((await downloadObject(s3, bucket, { key: workspaceKeyOf(id) })).bytes);
      expect(missingFrom(stored, acknowledged[w] ?? []), `workspace ${w}`).toEqual([]);
      const strangers = [...stored].filter((t) => !t.startsWith(`W${w} `));
      expect(strangers, `workspace ${w}`).toEqual([]);
      expect((acknowledged[w] ?? []).length).toBeGreaterThan(0);
    }
    // The survivors still serve every workspace, each with exactly its own tasks.
    for (const [w, id] of workspaces.entries()) {
      const listed = await (clients[1] as ApiClient).get(`/api/workspaces/${id}/tasks`);
      const titles = new Set<string>(listed.body.tasks.map((t: { title: string }) => t.title));
      expect(missingFrom(titles, acknowledged[w] ?? [])).toEqual([]);
    }
  });
});
