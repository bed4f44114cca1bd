/**
 * The Docker CLI as the image tooling uses it: is an engine there, how it networks, and building
 * Dockerfile.lambda with the build metadata /version serves. Shared by docker/build.ts,
 * docker/run.ts, the parity tests and bench/image.ts.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerBuildCommand } from './build-command.ts';
import { type DockerSettings, DockerToolError, LOCAL_LWA_IMAGE, LOCAL_NODE_IMAGE } from './settings.ts';

export { DockerToolError };

const START_HINT =
  'start Docker (on a Debian machine without it: `sudo bash docker/start-engine.sh` installs and starts one)';

/** Runs `docker ARGS` and returns its output; throws DockerToolError with docker's own message. */
export function docker(args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  const res = spawnSync('docker', args, { encoding: 'utf8', input: opts.input, maxBuffer: 64 * 1024 * 1024 });
  if (res.error)
    throw new DockerToolError(`docker: cannot run the docker CLI (${res.error.message}); ${START_HINT}`);
  if (res.status !== 0 && !opts.allowFail) {
    throw new DockerToolError(
      `docker ${args[0]}: ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' ')}`,
    );
  }
  return res.stdout;
}

/** Why no engine can be used, or undefined when `docker info` answers. */
export function engineProblem(): string | undefined {
  const res = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (res.error) return `the docker CLI is not installed (${res.error.message}); ${START_HINT}`;
  if (res.status !== 0 || !res.stdout.trim()) {
    const why = (res.stderr || '').trim().split('\n').pop() || 'docker info failed';
    return `no Docker engine answers (${why}); ${START_HINT}`;
  }
  return undefined;
}

/** Throws DockerToolError when no engine answers. */
export function requireEngine(): void {
  const problem = engineProblem();
  if (problem) throw new DockerToolError(`docker: ${problem}`);
}

/** An engine started with --bridge=none has no `bridge` network: containers must use the host's. */
export function hasBridgeNetwork(): boolean {
  return spawnSync('docker', ['network', 'inspect', 'bridge'], { stdio: 'ignore' }).status === 0;
}

export function hasBuildx(): boolean {
  return spawnSync('docker', ['buildx', 'version'], { stdio: 'ignore' }).status === 0;
}

export function imageExists(tag: string): boolean {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

/** Version from package.json, commit from git (with -dirty for uncommitted changes), time now. */
export function buildMetadata(
  root: string,
  s: DockerSettings,
): { version: string; commit: string; time: string } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  let commit = s.buildCommit;
  if (!commit) {
    try {
      const git = (args: string[]) =>
        execFileSync('git', args, {
          cwd: root,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim();
      commit = git(['rev-parse', '--short=12', 'HEAD']) + (git(['status', '--porcelain']) ? '-dirty' : '');
    } catch {
      commit = 'unknown';
    }
  }
  return {
    version: s.buildVersion ?? pkg.version ?? '0.0.0',
    commit,
    time: s.buildTime ?? new Date().toISOString(),
  };
}

export interface BuildResult {
  ms: number;
  /** Everything the build printed (only when `output` is 'capture'). */
  log: string;
}

/**
 * Builds Dockerfile.lambda in `root` as `s.image`. Uses buildx when installed (one platform, no
 * attestations, loaded into the engine), else the classic builder; builds on the host network when
 * the engine has no bridge. Rejects with DockerToolError carrying the build's last lines.
 */
export function buildImage(
  root: string,
  s: DockerSettings,
  output: 'inherit' | 'capture' = 'inherit',
  meta: { version: string; commit: string; time: string } = buildMetadata(root, s),
): Promise<BuildResult> {
  const buildArgs = {
    ...(s.nodeImage ? { NODE_IMAGE: s.nodeImage } : {}),
    ...(s.lwaImage ? { LWA_IMAGE: s.lwaImage } : {}),
    CC_BUILD_VERSION: meta.version,
    CC_BUILD_COMMIT: meta.commit,
    CC_BUILD_TIME: meta.time,
  };
  const { args, env } = dockerBuildCommand({
    buildx: hasBuildx(),
    dockerfile: 'Dockerfile.lambda',
    tag: s.image,
    network: hasBridgeNetwork() ? undefined : 'host',
    buildArgs,
    context: '.',
  });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      cwd: root,
      env,
      stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout?.on('data', (d) => (log += d));
    child.stderr?.on('data', (d) => (log += d));
    child.on('error', (e) => reject(new DockerToolError(`docker build: ${e.message}; ${START_HINT}`)));
    child.on('exit', (code) => {
      if (code === 0) return resolve({ ms: performance.now() - t0, log });
      const tail = log.trim().split('\n').slice(-15).join('\n');
      const pullHint =
        /pull access denied|failed to resolve|no such host|dial tcp|manifest unknown|i\/o timeout/i.test(log)
          ? `\nNo registry reachable? Build with local stand-ins: bash docker/build-local-base.sh, then NODE_IMAGE=${LOCAL_NODE_IMAGE} LWA_IMAGE=${LOCAL_LWA_IMAGE} npm run docker:build`
          : '';
      reject(
        new DockerToolError(
          `docker build of ${s.image} failed (exit ${code})${tail ? `:\n${tail}` : ''}${pullHint}`,
        ),
      );
    });
  });
}

/**
 * How a container reaches the outside and is reached: with a bridge, publish the port on the host's
 * loopback; without one (this CI: dockerd --bridge=none), share the host's network and bind the app
 * to 127.0.0.1 itself (its 0.0.0.0 default would listen on every host interface).
 */
export function networkArgs(
  mode: DockerSettings['network'],
  hostPort: number,
): { args: string[]; bridge: boolean } {
  const bridge = mode === 'bridge' || (mode === 'auto' && hasBridgeNetwork());
  return bridge
    ? { args: ['-p', `127.0.0.1:${hostPort}:8080`], bridge }
    : { args: ['--network', 'host', '-e', 'HOST=127.0.0.1', '-e', `PORT=${hostPort}`], bridge };
}
