// The S3 store's timeouts and retries over a real socket: a scripted HTTP server on loopback stands
// in for S3 answers that a healthy Ceph never gives (a hung PUT, a 503, a body cut short).

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3SnapshotStore } from '../../src/server/persistence/s3-store.ts';
import { isStoreError } from '../../src/server/persistence/store.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let endpoint: string;
let handler: Handler;
let requests: string[];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-s3-transport-'));
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
});

function store(timeoutMs = 300): S3SnapshotStore {
  return new S3SnapshotStore({
    bucket: 'b',
    key: 'app.sqlite',
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    unquotedEtags: false,
    timeoutMs,
    clientConfig: { credentials: { accessKeyId: 'x', secretAccessKey: 'y' } },
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => new Error('expected a failure'),
    (e: Error) => e,
  );
  return err;
}

describe('S3 snapshot store over a flaky connection', () => {
  it('sends a conditional put once, even when it times out, and says it may have landed', async () => {
    handler = () => {}; // never answers
    const s = store(300);
    const t0 = Date.now();
    const err = await failure(s.put(new Uint8Array(10), { ifMatch: '"e"' }));
    expect(isStoreError(err, 'unavailable'), String(err)).toBe(true);
    expect(err.message).toContain('may or may not have landed');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(requests.filter((r) => r.startsWith('PUT'))).toHaveLength(1);
    s.destroy();
  });

  it('retries a read that got a 500', async () => {
    handler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end('<Error><Code>InternalError</Code><Message>try again</Message></Error>');
    };
    const s = store();
    const err = await failure(s.download(join(dir, 'retry.bin')));
    expect(isStoreError(err, 'unavailable'), String(err)).toBe(true);
    expect(requests.filter((r) => r.startsWith('GET'))).toHaveLength(3);
    s.destroy();
  });

  it('gives up on a download whose body stalls, leaving no file behind', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000', etag: '"e"' });
      res.write(Buffer.alloc(100)); // then silence: the socket timeout must fire
    };
    const sub = await mkdtemp(join(dir, 'stall-'));
    const s = store(300);
    const err = await failure(s.download(join(sub, 'db.bin')));
    expect(isStoreError(err, 'unavailable'), String(err)).toBe(true);
    expect(await readdir(sub)).toEqual([]);
    s.destroy();
  });

  it('leaves no file behind when the connection drops mid-body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000', etag: '"e"' });
      res.write(Buffer.alloc(100), () => res.destroy());
    };
    const sub = await mkdtemp(join(dir, 'drop-'));
    const s = store(2000);
    const err = await failure(s.download(join(sub, 'db.bin')));
    expect(isStoreError(err, 'unavailable'), String(err)).toBe(true);
    expect(await readdir(sub)).toEqual([]);
    s.destroy();
  });
});
