/**
 * One fake AWS account, a fake Docker and a loopback stand-in app, wired to the real deploy
 * commands. Each test makes its own harness and closes it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildInfo, imageTag } from '../../../deploy/build-info.ts';
import { type DeployOutcome, runDeploy } from '../../../deploy/commands/deploy.ts';
import { runDestroy } from '../../../deploy/commands/destroy.ts';
import { runRollback } from '../../../deploy/commands/rollback.ts';
import type { Timing } from '../../../deploy/context.ts';
import type { KnownMigrations } from '../../../deploy/migrations.ts';
import { parseSettings, type Settings } from '../../../deploy/settings.ts';
import { knownMigrations } from '../../../src/server/db/migrations.ts';
import { type FakeApp, startFakeApp } from './fake-app.ts';
import { FakeAccount } from './fake-aws.ts';
import { FakeDocker } from './fake-docker.ts';

export const FAST_TIMING: Timing = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => performance.now(),
  rolePropagationMs: 5_000,
  retryDelayMs: 5,
  bucketPropagationMs: 5_000,
  smokeTimeoutMs: 3_000,
  smokeIntervalMs: 20,
  waiterMaxWaitS: 30,
};

/** A Dockerfile.lambda as the image issue specifies it, reduced to what the deploy reads. */
export const DOCKERFILE_FIXTURE = `ARG NODE_IMAGE=node:24-bookworm-slim
FROM \${NODE_IMAGE} AS build
RUN npm ci && npm run build
FROM \${NODE_IMAGE} AS runtime
ENV PORT=8080 HOST=127.0.0.1 \\
    AWS_LWA_READINESS_CHECK_PATH=/healthz \\
    AWS_LWA_INVOKE_MODE=response_stream
CMD ["node", "server.ts"]
`;

export function buildInfo(
  commit: string,
  architecture: 'x86_64' | 'arm64' = 'x86_64',
  migrations: KnownMigrations = knownMigrations(),
): BuildInfo {
  const time = '2025-11-20T10:00:00Z';
  return {
    version: '0.1.0',
    commit,
    time,
    dirty: false,
    tag: imageTag(commit, time, architecture, false, {}),
    migrations,
  };
}

export const COMMIT_A = 'a'.repeat(40);
export const COMMIT_B = 'b'.repeat(40);

export interface Harness {
  fake: FakeAccount;
  docker: FakeDocker;
  app: FakeApp;
  root: string;
  output: string[];
  /** This harness's timing; tests may shorten its limits. */
  timing: Timing;
  /** The migrations the next deploy's build knows (default: the app's own). */
  migrations: KnownMigrations;
  settings(command: string, ...args: string[]): Settings;
  deploy(commit?: string, ...args: string[]): Promise<DeployOutcome>;
  rollback(...args: string[]): Promise<{ from: string; to: string }>;
  destroy(args: string[], ask?: (question: string) => Promise<string>): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const fake = new FakeAccount();
  const docker = new FakeDocker(fake);
  const app = await startFakeApp(fake, 'code-canvas-prod');
  const root = await mkdtemp(join(tmpdir(), 'cc-deploy-'));
  await writeFile(join(root, 'Dockerfile.lambda'), DOCKERFILE_FIXTURE);
  const output: string[] = [];
  const print = (line: string) => output.push(line);
  const settings = (command: string, ...args: string[]) => parseSettings([command, ...args], {});
  const timing = { ...FAST_TIMING };
  const common = { identity: fake.identity, clients: fake.clients, print, timing, fetch };
  const h: Harness = {
    fake,
    docker,
    app,
    root,
    output,
    timing,
    migrations: knownMigrations(),
    settings,
    deploy: (commit = COMMIT_A, ...args) => {
      const s = settings('deploy', ...args);
      const build = buildInfo(commit, s.architecture, h.migrations);
      return runDeploy({ ...common, settings: s, docker, root, build });
    },
    rollback: (...args) => runRollback({ ...common, settings: settings('rollback', ...args) }),
    destroy: (args, ask) => runDestroy({ ...common, settings: settings('destroy', ...args), ask }),
    close: async () => {
      fake.restore();
      await app.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return h;
}
