/**
 * `npm run docker:build`: builds Dockerfile.lambda as code-canvas:local (CC_DOCKER_IMAGE), with the
 * version from package.json, the git commit and the time as build metadata (/version serves them).
 * NODE_IMAGE / LWA_IMAGE replace the base and adapter images (docker/build-local-base.sh makes
 * offline stand-ins). Exit 1 with one line when Docker is not there or the build fails.
 */
import { fileURLToPath } from 'node:url';
import { buildImage, buildMetadata, DockerToolError, docker, requireEngine } from './engine.ts';
import { loadDockerSettings } from './settings.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

try {
  const s = loadDockerSettings();
  requireEngine();
  const meta = buildMetadata(root, s);
  console.log(`docker:build: ${s.image} (version ${meta.version}, commit ${meta.commit})`);
  if (s.nodeImage || s.lwaImage)
    console.log(`docker:build: base ${s.nodeImage ?? 'default'}, adapter ${s.lwaImage ?? 'default'}`);
  const { ms } = await buildImage(root, s, 'inherit', meta);
  const size = Number(docker(['image', 'inspect', '-f', '{{.Size}}', s.image]).trim());
  console.log(
    `docker:build: built ${s.image} in ${(ms / 1000).toFixed(1)} s, ${(size / 1e6).toFixed(0)} MB; run it with npm run docker:run`,
  );
} catch (err) {
  if (!(err instanceof DockerToolError)) throw err;
  console.error(err.message);
  process.exit(1);
}
