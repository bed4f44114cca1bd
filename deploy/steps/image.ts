/**
 * Step 3, the image: built from Dockerfile.lambda for the function's one platform, with the build
 * metadata as build arguments, pushed to the repository, and pinned by digest. A tag that is
 * already in the repository (same clean commit, same architecture) is reused without building —
 * after making sure it names one platform's manifest, not an image index (registry.ts).
 */
import { join } from 'node:path';
import type { DeployContext } from '../context.ts';
import type { Platform } from '../docker.ts';
import { DeployError } from '../errors.ts';
import { ecrRegistry, pushImage, settleTag } from '../registry.ts';
import type { StepResult } from '../report.ts';
import type { Architecture } from '../settings.ts';

export const DOCKERFILE = 'Dockerfile.lambda';

export function platformFor(architecture: Architecture): Platform {
  return architecture === 'arm64' ? 'linux/arm64' : 'linux/amd64';
}

/** Build arguments: the operator's extras, then the build metadata the image serves at /version. */
export function buildArgsFor(ctx: Pick<DeployContext, 'settings' | 'build'>): Record<string, string> {
  return {
    ...ctx.settings.buildArgs,
    CC_BUILD_VERSION: ctx.build.version,
    CC_BUILD_COMMIT: ctx.build.commit,
    CC_BUILD_TIME: ctx.build.time,
  };
}

export async function ensureImage(ctx: DeployContext): Promise<StepResult> {
  const { tag } = ctx.build;
  const platform = platformFor(ctx.settings.architecture);
  const repositoryUri = ctx.state.repositoryUri;
  if (!repositoryUri) {
    // Only in a dry run: the repository would be created first.
    return { outcome: 'would create', detail: `build for ${platform} and push` };
  }
  const registry = ecrRegistry(ctx.clients.ecr, ctx.names.repository, repositoryUri);
  const stored = await settleTag(registry, tag, platform, ctx.dryRun);
  if (stored) {
    ctx.state.imageUri = `${repositoryUri}@${stored.digest}`;
    if (!stored.replaced) return { outcome: 'unchanged', detail: `already pushed, ${short(stored.digest)}…` };
    // An earlier run (or an older release) left an image index under the tag.
    const detail = `the tag named an image index: now its ${platform} manifest, ${short(stored.digest)}…`;
    return { outcome: ctx.dryRun ? 'would update' : 'updated', detail };
  }
  if (ctx.dryRun) return { outcome: 'would create', detail: `build for ${platform} and push` };

  const local = `${ctx.names.repository}:${tag}`;
  await ctx.docker.build({
    dockerfile: join(ctx.root, DOCKERFILE),
    context: ctx.root,
    tag: local,
    platform,
    buildArgs: buildArgsFor(ctx),
  });
  const built = await ctx.docker.platformOf(local);
  if (built !== platform) {
    throw new DeployError(`docker: ${local} was built for ${built}, not ${platform}`, {
      fix: `the base images in ${DOCKERFILE} must exist for ${platform}`,
    });
  }
  const pushed = await pushImage(ctx.docker, registry, local, tag, platform);
  ctx.state.imageUri = pushed.uri;
  return { outcome: 'created', detail: `built and pushed, ${short(pushed.digest)}…` };
}

function short(digest: string): string {
  return digest.slice(0, 19);
}
