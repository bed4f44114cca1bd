/**
 * Pushing the image: one function for every registry. A registry adapter supplies the login, reads
 * back what it stored and can point a tag at another manifest; `pushImage` logs Docker in, tags,
 * pushes, and leaves the tag naming one platform's manifest — what Lambda accepts.
 *
 * Lambda rejects image indexes, and Docker's containerd image store (the default of Docker Engine
 * 29 and current Docker Desktop) pushes even a one-platform build as an index. So a tag that names
 * an index is replaced by the index's manifest for the function's platform, through the registry
 * API: the index under the tag is deleted and that manifest — already in the repository, pushed
 * with the index — is put under the same tag. The tag then names the manifest itself, not an
 * untagged child that an image-count lifecycle rule could expire on its own. The same repair
 * recovers a tag an earlier release of the deploy left on an index: with immutable tags, pushing
 * again could never fix it.
 */
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  GetAuthorizationTokenCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import type { Docker, Platform } from './docker.ts';
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

/** A manifest exactly as the registry stores it: its bytes are what its digest is of. */
export interface StoredManifest {
  digest: string;
  mediaType: string;
  body: string;
}

export interface ImageRegistry {
  /** `host/name` without tag or digest; the function's ImageUri is `<repositoryUri>@<digest>`. */
  readonly repositoryUri: string;
  login(): Promise<RegistryLogin>;
  /** The image a tag points at, or undefined when the tag does not exist. */
  findTag(tag: string): Promise<StoredImage | undefined>;
  /** The manifest (or index) stored under `digest`. */
  getManifest(digest: string): Promise<StoredManifest>;
  /** Makes `tag`, which names `current`, name `manifest` instead (already in the repository). */
  retag(tag: string, current: StoredImage, manifest: StoredManifest): Promise<void>;
}

export const INDEX_TYPES = [
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
      `image ${ref} is still an image index (${image.mediaType}) after replacing it with its platform's manifest; Lambda needs one platform's manifest`,
      { fix: 'another push to the same tag may have raced this one: re-run' },
    );
  }
}

interface IndexEntry {
  mediaType?: string;
  digest?: string;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

/**
 * The digest of the one manifest in an image index (its JSON text) for `platform`. Attestation
 * manifests (provenance, SBOM: `vnd.docker.reference.type`) are not images and are skipped.
 */
export function platformManifest(ref: string, index: string, platform: Platform): string {
  const [os, architecture] = platform.split('/');
  const entries = ((JSON.parse(index) as { manifests?: IndexEntry[] }).manifests ?? []).filter(
    (m) => m.annotations?.['vnd.docker.reference.type'] === undefined,
  );
  const matching = entries.filter((m) => m.platform?.os === os && m.platform?.architecture === architecture);
  const only = matching[0];
  if (matching.length !== 1 || !only?.digest || !MANIFEST_TYPES.includes(only.mediaType ?? '')) {
    const found =
      entries.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ') || 'no image';
    throw new DeployError(
      `image ${ref} is an image index with ${matching.length === 0 ? 'no' : matching.length > 1 ? 'more than one' : 'no usable'} ${platform} manifest (it holds: ${found})`,
      { fix: `build for ${platform} (--arch), with a new commit or --build-arg so the tag is new` },
    );
  }
  return only.digest;
}

/**
 * Makes sure `tag` names one `platform` manifest, replacing an index under it with the index's
 * manifest for the platform (or, in a dry run, only saying it would). Resolves with the manifest's
 * digest and whether the tag had to be replaced; undefined when the tag does not exist.
 */
export async function settleTag(
  registry: ImageRegistry,
  tag: string,
  platform: Platform,
  dryRun = false,
): Promise<{ digest: string; replaced: boolean } | undefined> {
  const ref = `${registry.repositoryUri}:${tag}`;
  const stored = await registry.findTag(tag);
  if (!stored) return undefined;
  if (!stored.mediaType || !INDEX_TYPES.includes(stored.mediaType))
    return { digest: stored.digest, replaced: false };
  const index = await registry.getManifest(stored.digest);
  const digest = platformManifest(ref, index.body, platform);
  if (dryRun) return { digest, replaced: true };
  const manifest = await registry.getManifest(digest);
  await registry.retag(tag, stored, manifest);
  const now = await registry.findTag(tag);
  if (!now || now.digest !== digest) {
    throw new DeployError(
      `registry: ${ref} points at ${now?.digest ?? 'nothing'} after pointing it at ${digest}`,
      {
        fix: 'another push to the same tag raced this one: re-run',
      },
    );
  }
  checkSingleManifest(ref, now);
  return { digest, replaced: true };
}

/**
 * Tags `localRef` as `<repositoryUri>:<tag>`, pushes it, makes the tag name one `platform`
 * manifest (settleTag) and returns that manifest's digest and the digest-pinned URI.
 */
export async function pushImage(
  docker: Docker,
  registry: ImageRegistry,
  localRef: string,
  tag: string,
  platform: Platform,
): Promise<{ digest: string; uri: string }> {
  const login = await registry.login();
  await docker.login(login.server, login.username, login.password);
  const remote = `${registry.repositoryUri}:${tag}`;
  await docker.tag(localRef, remote);
  const pushed = await docker.push(remote);
  const stored = await registry.findTag(tag);
  if (!stored || stored.digest !== pushed) {
    throw new DeployError(
      `registry: ${remote} points at ${stored?.digest ?? 'nothing'} after pushing ${pushed}`,
      { fix: 'another push to the same tag raced this one: re-run' },
    );
  }
  const settled = await settleTag(registry, tag, platform);
  const digest = settled?.digest ?? pushed;
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
    async getManifest(digest) {
      const what = `${repositoryName}@${digest}`;
      let image: { imageManifest?: string; imageManifestMediaType?: string } | undefined;
      try {
        const out = await ecr.send(
          new BatchGetImageCommand({
            repositoryName,
            imageIds: [{ imageDigest: digest }],
            acceptedMediaTypes: [...MANIFEST_TYPES, ...INDEX_TYPES],
          }),
        );
        image = out.images?.[0];
        if (!image) throw new Error(out.failures?.[0]?.failureReason ?? 'not found');
      } catch (err) {
        throw awsError(err, 'ecr: get manifest', what);
      }
      return { digest, mediaType: image.imageManifestMediaType ?? '', body: image.imageManifest ?? '' };
    },
    async retag(tag, current, manifest) {
      const what = `${repositoryName}:${tag}`;
      try {
        // Immutable tags cannot be moved, only removed: this deletes the index, then names the
        // platform's manifest with the tag. ECR keeps an index's manifests as images of their own
        // (it even refuses to delete one an index still lists: ImageReferencedByManifestList).
        const out = await ecr.send(
          new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: tag }] }),
        );
        const failure = out.failures?.find((f) => f.failureCode !== 'ImageNotFound');
        if (failure) throw new Error(`${failure.failureCode}: ${failure.failureReason}`);
        await ecr.send(
          new PutImageCommand({
            repositoryName,
            imageTag: tag,
            imageManifest: manifest.body,
            imageManifestMediaType: manifest.mediaType,
            imageDigest: manifest.digest,
          }),
        );
      } catch (err) {
        throw awsError(err, `ecr: point ${what} (was the index ${current.digest}) at`, manifest.digest);
      }
    },
  };
}
