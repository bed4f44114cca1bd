/**
 * The Docker CLI behind a narrow interface: the image step and its tests only build, log in, tag
 * and push. The same implementation pushes to ECR or to any registry (tests use Debian's
 * docker-registry on loopback); the registry-specific part is in registry.ts.
 */
import { spawn } from 'node:child_process';
import { dockerBuildCommand } from '../docker/build-command.ts';
import { DeployError } from './errors.ts';

export type Platform = 'linux/amd64' | 'linux/arm64';

export interface BuildRequest {
  dockerfile: string;
  context: string;
  /** Local tag for the built image. */
  tag: string;
  /** Exactly one platform: Lambda rejects multi-platform image indexes. */
  platform: Platform;
  buildArgs: Record<string, string>;
  /** `docker build --network`; default: `host` when the engine has no bridge network, else the engine's. */
  network?: string | undefined;
}

export interface Docker {
  /** Engine and builder facts; throws DeployError when Docker is missing or its engine does not answer. */
  version(): Promise<{ client: string; server: string; buildx: boolean }>;
  build(request: BuildRequest): Promise<void>;
  /** `os/arch` of a local image, e.g. `linux/amd64`. */
  platformOf(ref: string): Promise<string>;
  login(server: string, username: string, password: string): Promise<void>;
  tag(source: string, target: string): Promise<void>;
  /** Pushes `ref` and returns the digest of the manifest the registry stored. */
  push(ref: string): Promise<string>;
}

export interface DockerOptions {
  /** Environment for every docker command (tests point DOCKER_CONFIG at a scratch folder). */
  env?: NodeJS.ProcessEnv;
  /** Receives docker's output as it arrives (`--verbose`); otherwise it is kept for errors only. */
  onOutput?: ((chunk: string) => void) | undefined;
}

interface RunResult {
  code: number;
  output: string;
}

/** Runs `docker ARGS`, resolving with its exit code and combined output (never rejecting on exit ≠ 0). */
export function runDocker(
  args: string[],
  options: DockerOptions & { input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new DeployError('docker: not installed (no `docker` on PATH)', {
            fix: 'install Docker and start it',
          }),
        );
      } else reject(err);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
    child.stdin.end(options.input ?? '');
  });
}

/** The last non-empty lines of some output, for error details. */
export function tail(output: string, lines = 20): string {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}

function lastLine(output: string): string {
  return tail(output, 1).replace(/^(Error( response from daemon)?|ERROR):\s*/i, '');
}

/** The Docker implementation used by the CLI: the `docker` command on PATH. */
export function cliDocker(options: DockerOptions = {}): Docker {
  const run = (args: string[], input?: string) => runDocker(args, { ...options, input });
  const version: Docker['version'] = async () => {
    const v = await run(['version', '--format', '{{.Client.Version}} {{.Server.Version}}']);
    if (v.code !== 0) {
      const denied = /permission denied/i.test(v.output);
      throw new DeployError(`docker: the engine does not answer (${lastLine(v.output)})`, {
        fix: denied
          ? 'let this user reach the Docker socket (e.g. add it to the `docker` group), then re-run'
          : 'start Docker (Docker Desktop, or `sudo systemctl start docker`), then re-run',
      });
    }
    const [client = '', server = ''] = v.output.trim().split(/\s+/);
    const buildx = (await run(['buildx', 'version'])).code === 0;
    return { client, server, buildx };
  };
  return {
    version,

    async build(req) {
      const { buildx } = await version();
      const network =
        req.network ?? ((await run(['network', 'inspect', 'bridge'])).code === 0 ? undefined : 'host');
      const { args, env } = dockerBuildCommand({ ...req, buildx, network, env: options.env });
      const r = await runDocker(args, { ...options, env });
      if (r.code !== 0) {
        const emulation = /exec format error/i.test(r.output);
        throw new DeployError(
          `docker: build of ${req.dockerfile} for ${req.platform} failed: ${lastLine(r.output)}`,
          {
            details: tail(r.output),
            fix: emulation
              ? `this machine cannot run ${req.platform} binaries: install QEMU binfmt support (Debian: qemu-user-static) or build on a ${req.platform} machine`
              : 'fix the error shown above (--verbose shows the whole build), then re-run',
          },
        );
      }
    },

    async platformOf(ref) {
      const r = await run(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ref]);
      if (r.code !== 0) throw new DeployError(`docker: inspect ${ref}: ${lastLine(r.output)}`);
      return r.output.trim();
    },

    async login(server, username, password) {
      const r = await run(['login', '--username', username, '--password-stdin', server], password);
      if (r.code !== 0) {
        throw new DeployError(`docker: login to ${server} failed: ${lastLine(r.output)}`, {
          fix: 'check the registry credentials (for ECR: ecr:GetAuthorizationToken) and re-run',
        });
      }
    },

    async tag(source, target) {
      const r = await run(['tag', source, target]);
      if (r.code !== 0) throw new DeployError(`docker: tag ${source} as ${target}: ${lastLine(r.output)}`);
    },

    async push(ref) {
      const r = await run(['push', ref]);
      if (r.code !== 0) {
        const denied = /denied|unauthorized|authentication required|no basic auth/i.test(r.output);
        throw new DeployError(`docker: push ${ref} failed: ${lastLine(r.output)}`, {
          details: tail(r.output, 8),
          fix: denied
            ? 'the registry refused the push: check the login and that these credentials may push to the repository (for ECR, the operator policy in docs/deploy.md)'
            : 'check the network to the registry and re-run (pushed layers are kept)',
        });
      }
      const digests = [...r.output.matchAll(/digest: (sha256:[0-9a-f]{64})/g)];
      const digest = digests.at(-1)?.[1];
      if (!digest) throw new DeployError(`docker: push ${ref}: no digest in docker's output`);
      return digest;
    },
  };
}
