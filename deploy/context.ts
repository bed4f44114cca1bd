/**
 * What every deploy step receives: the settings, the names, the clients, and the state earlier
 * steps leave for later ones. Timing is injectable so tests run without real waits.
 */
import type { AwsClients, Identity } from './aws.ts';
import type { BuildInfo } from './build-info.ts';
import type { Docker } from './docker.ts';
import type { InvokeMode } from './dockerfile.ts';
import type { Names } from './names.ts';
import type { Print } from './report.ts';
import type { Settings } from './settings.ts';

export interface Timing {
  sleep(ms: number): Promise<void>;
  /** Milliseconds on a monotonic clock; the retry deadlines are measured on it (tests pass a fake one). */
  now(): number;
  /** How long CreateFunction keeps retrying while a new role propagates. */
  rolePropagationMs: number;
  /** Pause between retries of a call AWS refused for a passing reason (propagation, update in progress). */
  retryDelayMs: number;
  /** How long the bucket's settings calls keep retrying NoSuchBucket right after CreateBucket. */
  bucketPropagationMs: number;
  /** Longest wait for the smoke test to see the new version answer. */
  smokeTimeoutMs: number;
  smokeIntervalMs: number;
  /** Cap for the SDK waiters (function active / updated / version published), seconds. */
  waiterMaxWaitS: number;
}

export const DEFAULT_TIMING: Timing = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => performance.now(),
  rolePropagationMs: 120_000,
  retryDelayMs: 3000,
  bucketPropagationMs: 60_000,
  smokeTimeoutMs: 120_000,
  smokeIntervalMs: 2000,
  waiterMaxWaitS: 600,
};

/** Filled in by the steps as they go; undefined entries are unknown (e.g. in a dry run). */
export interface DeployState {
  repositoryUri?: string;
  /** Digest-pinned image the function should run: `<repositoryUri>@sha256:…`. */
  imageUri?: string;
  roleArn?: string;
  functionExists?: boolean;
  /** Dry run only: the function step would change $LATEST. */
  functionPending?: boolean;
  version?: string;
  previousVersion?: string;
  url?: string;
}

export interface DeployContext {
  settings: Settings;
  names: Names;
  identity: Identity;
  clients: AwsClients;
  docker: Docker;
  build: BuildInfo;
  /** Repository root: Dockerfile.lambda and the build context. */
  root: string;
  invokeMode: InvokeMode;
  dryRun: boolean;
  timing: Timing;
  fetch: typeof fetch;
  print: Print;
  state: DeployState;
}
