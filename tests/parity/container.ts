import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { buildImage, docker, engineProblem, imageExists, networkArgs } from '../../docker/engine.ts';
import { LOCAL_LWA_IMAGE, LOCAL_NODE_IMAGE, loadDockerSettings } from '../../docker/settings.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const PARITY_IMAGE = 'code-canvas:parity';
const requireAll = process.env.CC_TEST_REQUIRE_ALL === '1';
const dockerProblem = engineProblem();

/**
 * `describe` for suites that need a Docker engine: skipped with the reason in its title when
 * `docker info` fails, or one failing test saying what is missing under CC_TEST_REQUIRE_ALL=1.
 */
export function describeWithDocker(name: string, body: () => void): void {
  if (!dockerProblem) {
    describe(name, () => body());
    return;
  }
  const reason = `${dockerProblem} (CI: bash docker/ci-setup.sh)`;
  if (requireAll) {
    describe(name, () => {
      it('has a Docker engine (CC_TEST_REQUIRE_ALL=1)', () => {
        throw new Error(`CC_TEST_REQUIRE_ALL=1 but ${reason}`);
      });
    });
    return;
  }
  describe.skip(`${name} — skipped: ${reason}`, () => {
    it('needs Docker', () => {});
  });
}

/**
 * Builds Dockerfile.lambda as code-canvas:parity, offline: the base and adapter images are the local
 * stand-ins (made by docker/build-local-base.sh when missing) unless NODE_IMAGE / LWA_IMAGE say
 * otherwise. Returns the build metadata it passed in.
 */
export async function buildParityImage(): Promise<{ version: string; commit: string; ms: number }> {
  const s = loadDockerSettings();
  if (!s.nodeImage && !(imageExists(LOCAL_NODE_IMAGE) && imageExists(LOCAL_LWA_IMAGE))) {
    const res = spawnSync('bash', ['docker/build-local-base.sh'], { cwd: root, stdio: 'inherit' });
    if (res.status !== 0) throw new Error('docker/build-local-base.sh failed (output above)');
  }
  const settings = {
    ...s,
    image: PARITY_IMAGE,
    nodeImage: s.nodeImage ?? LOCAL_NODE_IMAGE,
    lwaImage: s.lwaImage ?? LOCAL_LWA_IMAGE,
    buildCommit: s.buildCommit ?? `parity-${Date.now().toString(36)}`,
    buildVersion: s.buildVersion ?? '0.0.0-parity',
  };
  const { ms } = await buildImage(root, settings, 'capture');
  return { version: settings.buildVersion, commit: settings.buildCommit, ms };
}

export interface Container {
  name: string;
  url: string;
  /** `docker stop` (SIGTERM, then SIGKILL after 10 s); resolves with how long it took and the exit code. */
  stop(): { ms: number; exitCode: number };
  /** `docker rm -f` (SIGKILL): no chance to shut down cleanly. */
  kill(): void;
  logs(): string;
}

let seq = 0;

/**
 * `docker run -d` of an image on the host network (the engine here has no bridge) on a free loopback
 * port, with `env` as settings; waits until /healthz answers 200.
 */
export async function startContainer(image: string, env: Record<string, string> = {}): Promise<Container> {
  const port = await freePort();
  const name = `cc-parity-${process.pid}-${++seq}`;
  const { args } = networkArgs('host', port);
  docker([
    'run',
    '-d',
    '--name',
    name,
    ...args,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    image,
  ]);
  const c: Container = {
    name,
    url: `http://127.0.0.1:${port}`,
    stop() {
      const t0 = performance.now();
      docker(['stop', '--time', '10', name]);
      const ms = performance.now() - t0;
      const exitCode = Number(docker(['inspect', '-f', '{{.State.ExitCode}}', name]).trim());
      docker(['rm', '-f', name], { allowFail: true });
      return { ms, exitCode };
    },
    kill() {
      docker(['rm', '-f', name], { allowFail: true });
    },
    logs() {
      const res = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
      return `${res.stdout ?? ''}${res.stderr ?? ''}`;
    },
  };
  try {
    await waitReady(c.url, 60_000);
  } catch (err) {
    const logs = c.logs();
    c.kill();
    throw new Error(
      `${(err as Error).message}\n--- container logs ---\n${logs.trim().split('\n').slice(-20).join('\n')}`,
    );
  }
  return c;
}

/** Polls /healthz every 10 ms (as the Lambda adapter does) until 200; returns the ms it took. */
export async function waitReady(url: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url}/healthz did not answer 200 within ${timeoutMs} ms`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** True when the Playwright suite has specs to run. */
export function hasE2eSpecs(): boolean {
  return (
    existsSync(`${root}playwright.config.ts`) &&
    spawnSync('sh', ['-c', 'ls tests/e2e/*.spec.ts'], { cwd: root, stdio: 'ignore' }).status === 0
  );
}
