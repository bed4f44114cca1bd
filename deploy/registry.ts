/**
 * Pushing the image: one function for every registry. A registry adapter supplies the login and
 * reads back what it stored; `pushImage` logs Docker in, tags, pushes, and checks the registry
 * holds exactly the pushed digest as a single-platform manifest (Lambda rejects image indexes).
 */
import { DescribeImagesCommand, type ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { Docker } from './docker.ts';
import { awsError, DeployError, isNotFound } from './errors.ts';

export interface RegistryLogin {
  /** Host (and port) to `docker login` to, e.g. `127.0.0.1:5000`. */
  server: string;
  username: string;
  password: string;
}

export interface StoredImage {
  digest: string;
  /** Manifest media type as the registry reports it. */
  mediaType: string | undefined;
}

export interface ImageRegistry {
  /** `host/name` without tag or digest; the function's ImageUri is `<repositoryUri>@<digest>`. */
  readonly repositoryUri: string;
  login(): Promise<RegistryLogin>;
  /** The image a tag points at, or undefined when the tag does not exist. */
  findTag(tag: string): Promise<StoredImage | undefined>;
}

const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/** Media types Lambda accepts for a container image. */
export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
];

/** Checks a stored image is one platform's manifest, not an index; throws DeployError otherwise. */
export function checkSingleManifest(ref: string, image: StoredImage): void {
  if (image.mediaType && INDEX_TYPES.includes(image.mediaType)) {
    throw new DeployError(
      `image ${ref} was stored as an image index (${image.mediaType}); Lambda needs one platform's manifest`,
      {
        fix: 'build with one --platform and attestations off (docker buildx: --provenance=false --sbom=false); with Docker Desktop’s containerd image store, turn that store off',
      },
    );
  }
}

/**
 * Tags `localRef` as `<repositoryUri>:<tag>`, pushes it and returns the pushed image's digest and
 * the digest-pinned URI. Verifies the registry stored that digest under the tag.
 */
export async function pushImage(
  docker: Docker,
  registry: ImageRegistry,
  localRef: string,
  tag: string,
): Promise<{ digest: string; uri: string }> {
  const login = await registry.login();
  await docker.login(login.server, login.username, login.password);
  const remote = `${registry.repositoryUri}:${tag}`;
  await docker.tag(localRef, remote);
  const digest = await docker.push(remote);
  const stored = await registry.findTag(tag);
  if (!stored || stored.digest !== digest) {
    throw new DeployError(
      `registry: ${remote} points at ${stored?.digest ?? 'nothing'} after pushing ${digest}`,
      { fix: 'another push to the same tag raced this one: re-run' },
    );
  }
  checkSingleManifest(remote, stored);
  return { digest, uri: `${registry.repositoryUri}@${digest}` };
}

/** The ECR adapter: a login from GetAuthorizationToken, tags from DescribeImages. */
export function ecrRegistry(ecr: ECRClient, repositoryName: string, repositoryUri: string): ImageRegistry {
  return {
    repositoryUri,
    async login() {
      try {
        const out = await ecr.send(new GetAuthorizationTokenCommand({}));
        const data = out.authorizationData?.[0];
        if (!data?.authorizationToken || !data.proxyEndpoint)
          throw new Error('no authorization data in the answer');
        const [username = '', password = ''] = Buffer.from(data.authorizationToken, 'base64')
          .toString('utf8')
          .split(/:(.*)/s);
        return { server: new URL(data.proxyEndpoint).host, username, password };
      } catch (err) {
        throw awsError(err, 'ecr: get authorization token for', repositoryName);
      }
    },
    async findTag(tag) {
      try {
        const out = await ecr.send(
          new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }),
        );
        const detail = out.imageDetails?.[0];
        return detail?.imageDigest
          ? { digest: detail.imageDigest, mediaType: detail.imageManifestMediaType }
          : undefined;
      } catch (err) {
        if (isNotFound(err, 'ImageNotFoundException')) return undefined;
        throw awsError(err, 'ecr: describe image', `${repositoryName}:${tag}`);
      }
    },
  };
}
