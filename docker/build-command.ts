/**
 * The one `docker build` command line for Dockerfile.lambda, shared by `npm run docker:build`
 * (docker/engine.ts) and `npm run deploy` (deploy/docker.ts), so the two can never build the image
 * differently.
 */

export interface BuildCommandInput {
  /** `docker buildx` is installed. */
  buildx: boolean;
  dockerfile: string;
  tag: string;
  /** Exactly one platform when set (Lambda rejects multi-platform image indexes). */
  platform?: string | undefined;
  /** `--network` for the build's RUN steps; `host` when the engine has no bridge network. */
  network?: string | undefined;
  buildArgs: Record<string, string>;
  context: string;
  /** The environment to run docker in (default: this process's). */
  env?: NodeJS.ProcessEnv | undefined;
}

/** The argv (after `docker`) and environment that build one plain single-platform image. */
export function dockerBuildCommand(o: BuildCommandInput): { args: string[]; env: NodeJS.ProcessEnv } {
  const args = o.buildx
    ? // BuildKit would attach provenance/SBOM attestations, turning the image into an index.
      ['buildx', 'build', '--load', '--provenance=false', '--sbom=false']
    : // --force-rm: the classic builder otherwise leaves a failed step's container behind.
      ['build', '--force-rm'];
  if (o.platform) args.push('--platform', o.platform);
  args.push('--file', o.dockerfile, '--tag', o.tag);
  // An engine started with --bridge=none (a CI machine with loopback only) gives build containers
  // no network at all; the host's is the only way to reach the package registry.
  if (o.network) args.push('--network', o.network);
  for (const [k, v] of Object.entries(o.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  args.push(o.context);
  const base = o.env ?? process.env;
  // Without buildx the CLI falls back to the classic builder; say so explicitly so that a
  // DOCKER_BUILDKIT=1 in the environment does not turn that into an error.
  return { args, env: o.buildx ? base : { ...base, DOCKER_BUILDKIT: '0' } };
}
