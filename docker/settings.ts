/**
 * Settings of the local image tooling (`npm run docker:build`, `npm run docker:run`, the parity tests
 * and `npm run bench:image`), read from the environment in this one module. The app's own settings
 * stay in src/server/config.ts; `docker:run` passes those through to the container.
 */

/** An expected failure of the tooling: the message says what failed and what to do. */
export class DockerToolError extends Error {
  override name = 'DockerToolError';
}

export interface DockerSettings {
  /** Image tag to build and run (CC_DOCKER_IMAGE, default code-canvas:local). */
  image: string;
  /** Container name for docker:run (CC_DOCKER_NAME, default code-canvas). */
  containerName: string;
  /** Host port for docker:run (CC_DOCKER_PORT, default 8080). */
  port: number;
  /** 'auto' publishes the port where the engine has a bridge network, else uses the host network. */
  network: 'auto' | 'host' | 'bridge';
  /** Base-image overrides, passed as build args only when set (NODE_IMAGE, LWA_IMAGE). */
  nodeImage: string | undefined;
  lwaImage: string | undefined;
  /** Build metadata overrides (CC_BUILD_VERSION / _COMMIT / _TIME); unset = package.json, git, now. */
  buildVersion: string | undefined;
  buildCommit: string | undefined;
  buildTime: string | undefined;
}

/** The local stand-ins built by docker/build-local-base.sh, for machines without registry access. */
export const LOCAL_NODE_IMAGE = 'code-canvas/node:24-bookworm-slim';
export const LOCAL_LWA_IMAGE = 'code-canvas/lambda-adapter:stand-in';

/** App settings docker:run hands to the container when they are set here. */
export const PASSED_THROUGH = [
  /^CC_S3_/,
  /^CC_DB_KEY$/,
  /^CC_MAX_STALENESS_MS$/,
  /^CC_WRITE_ATTEMPTS$/,
  /^CC_SESSION_SECRET$/,
  /^CC_COOKIE_SECURE$/,
  /^CC_BODY_LIMIT_BYTES$/,
  /^CC_LOGIN_LIMIT_/,
  /^CC_LOG_LEVEL$/,
  /^CC_LOCAL_KEEP_VERSIONS$/,
  /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION|DEFAULT_REGION)$/,
];

/** Reads the settings; throws DockerToolError naming the setting when one is malformed. */
export function loadDockerSettings(env: NodeJS.ProcessEnv = process.env): DockerSettings {
  const get = (name: string) => env[name]?.trim() || undefined;
  const port = Number(get('CC_DOCKER_PORT') ?? 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DockerToolError(`CC_DOCKER_PORT: "${get('CC_DOCKER_PORT')}" is not a port number (1–65535)`);
  }
  const network = get('CC_DOCKER_NETWORK') ?? 'auto';
  if (network !== 'auto' && network !== 'host' && network !== 'bridge') {
    throw new DockerToolError(`CC_DOCKER_NETWORK: "${network}" is not one of auto, host, bridge`);
  }
  return {
    image: get('CC_DOCKER_IMAGE') ?? 'code-canvas:local',
    containerName: get('CC_DOCKER_NAME') ?? 'code-canvas',
    port,
    network,
    nodeImage: get('NODE_IMAGE'),
    lwaImage: get('LWA_IMAGE'),
    buildVersion: get('CC_BUILD_VERSION'),
    buildCommit: get('CC_BUILD_COMMIT'),
    buildTime: get('CC_BUILD_TIME'),
  };
}

/** The names of the app settings set in `env` that docker:run passes to the container. */
export function passedThroughNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env)
    .filter((k) => env[k] !== undefined && env[k] !== '' && PASSED_THROUGH.some((re) => re.test(k)))
    .sort();
}
