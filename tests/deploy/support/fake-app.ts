/**
 * The loopback stand-in for the deployed app behind the Function URL: answers /healthz, / and
 * /version, where /version reports the commit of the image the `live` alias of `functionName`
 * points at in the fake account — so the smoke test really sees which release is live.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeAccount } from './fake-aws.ts';

export interface FakeApp {
  url: string;
  /** Requests seen, as paths. */
  requests: string[];
  /** /healthz answers 503 this many more times (a cold start restoring the database). */
  coldChecks: number;
  /** Commits whose image never gets healthy (/healthz 503) while `live` serves them. */
  broken: Set<string>;
  close(): Promise<void>;
}

export async function startFakeApp(fake: FakeAccount, functionName: string): Promise<FakeApp> {
  const app: FakeApp = { url: '', requests: [], coldChecks: 0, broken: new Set(), close: async () => {} };
  const liveCommit = () => {
    const f = fake.functions.get(functionName);
    const version = f?.aliases.get('live');
    const digest = (version ? f?.versions.get(version)?.ImageUri : undefined)?.split('@')[1] ?? '';
    return fake.imageCommits.get(digest) ?? 'unknown';
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    app.requests.push(path);
    if (path === '/healthz') {
      if (app.coldChecks > 0 || app.broken.has(liveCommit())) {
        app.coldChecks--;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"ok":false}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Code Canvas</title>');
    } else if (path === '/version') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ name: 'code-canvas', commit: liveCommit() }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  app.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  app.close = () => new Promise((resolve) => server.close(() => resolve()));
  fake.urlBase = app.url;
  return app;
}
