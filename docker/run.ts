/**
 * `npm run docker:run`: runs the image from `npm run docker:build` on http://localhost:8080
 * (CC_DOCKER_PORT), in the foreground; Ctrl-C stops it the way Lambda does (SIGTERM).
 *
 * With no CC_S3_BUCKET the app uses its embedded store, inside the container (gone with it). With
 * CC_S3_* and AWS_* credentials set here they are passed through (by name, so secrets never appear
 * on a command line) and the database lives in that bucket. On an engine with a bridge network the
 * port is published on the host's loopback, and an S3 endpoint on this machine's loopback is reached
 * through host.docker.internal; on an engine without one, the container shares the host's network.
 */
import { spawn } from 'node:child_process';
import { DockerToolError, docker, imageExists, networkArgs, requireEngine } from './engine.ts';
import { loadDockerSettings, passedThroughNames } from './settings.ts';

const LOOPBACK = /^(https?:\/\/)(localhost|127\.0\.0\.1|\[::1\])(?=[:/]|$)/;

try {
  const s = loadDockerSettings();
  requireEngine();
  if (!imageExists(s.image))
    throw new DockerToolError(`docker:run: no image ${s.image}; build it first: npm run docker:build`);
  docker(['rm', '-f', s.containerName], { allowFail: true });

  const net = networkArgs(s.network, s.port);
  const names = passedThroughNames();
  const env: NodeJS.ProcessEnv = { ...process.env };
  const extra: string[] = [];
  const endpoint = process.env.CC_S3_ENDPOINT;
  if (net.bridge && endpoint && LOOPBACK.test(endpoint)) {
    // Inside a bridged container 127.0.0.1 is the container itself.
    env.CC_S3_ENDPOINT = endpoint.replace(LOOPBACK, '$1host.docker.internal');
    extra.push('--add-host', 'host.docker.internal:host-gateway');
    console.log(
      `docker:run: CC_S3_ENDPOINT ${endpoint} is reached as ${env.CC_S3_ENDPOINT} from the container`,
    );
  }
  const args = [
    'run',
    '--rm',
    '--name',
    s.containerName,
    ...net.args,
    ...extra,
    ...names.flatMap((n) => ['-e', n]),
    s.image,
  ];
  const store = process.env.CC_S3_BUCKET
    ? `S3 bucket ${process.env.CC_S3_BUCKET}`
    : 'the embedded store inside the container (set CC_S3_BUCKET to keep data)';
  console.log(`docker:run: ${s.image} on http://localhost:${s.port}, database in ${store}; Ctrl-C stops it`);
  const child = spawn('docker', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = () => {
    docker(['stop', '--time', '5', s.containerName], { allowFail: true });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 1));
} catch (err) {
  if (!(err instanceof DockerToolError)) throw err;
  console.error(err.message);
  process.exit(1);
}
