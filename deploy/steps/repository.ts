/**
 * Step 2, the image repository: scan on push, immutable tags (a tag names one build forever, which
 * is what lets a re-run skip a build it already pushed), and a lifecycle policy keeping the newest
 * N images.
 */
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import type { DeployContext } from '../context.ts';
import { call, find } from '../errors.ts';
import { samePolicy } from '../policies.ts';
import { Changes, type StepResult } from '../report.ts';

export function repositoryLifecyclePolicy(keep: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `keep the newest ${keep} images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  });
}

export async function ensureRepository(ctx: DeployContext): Promise<StepResult> {
  const { ecr } = ctx.clients;
  const repositoryName = ctx.names.repository;
  const changes = new Changes();
  const found = await find('ecr: describe repository', repositoryName, ['RepositoryNotFoundException'], () =>
    ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })),
  );
  const repo = found?.repositories?.[0];
  ctx.state.repositoryUri = repo?.repositoryUri;

  if (!repo) {
    changes.creating = true;
    changes.add('scan on push, immutable tags', async () => {
      const out = await call('ecr: create repository', repositoryName, () =>
        ecr.send(
          new CreateRepositoryCommand({
            repositoryName,
            imageScanningConfiguration: { scanOnPush: true },
            imageTagMutability: 'IMMUTABLE',
            tags: Object.entries(ctx.names.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      );
      ctx.state.repositoryUri = out.repository?.repositoryUri;
    });
  } else {
    if (repo.imageScanningConfiguration?.scanOnPush !== true) {
      changes.add('scan on push', () =>
        call('ecr: turn on scan on push for', repositoryName, () =>
          ecr.send(
            new PutImageScanningConfigurationCommand({
              repositoryName,
              imageScanningConfiguration: { scanOnPush: true },
            }),
          ),
        ),
      );
    }
    if (repo.imageTagMutability !== 'IMMUTABLE') {
      changes.add('immutable tags', () =>
        call('ecr: make tags immutable in', repositoryName, () =>
          ecr.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'IMMUTABLE' })),
        ),
      );
    }
  }
  const lifecyclePolicyText = repositoryLifecyclePolicy(ctx.settings.keepImages);
  const current = repo
    ? await find('ecr: get lifecycle policy of', repositoryName, ['LifecyclePolicyNotFoundException'], () =>
        ecr.send(new GetLifecyclePolicyCommand({ repositoryName })),
      )
    : undefined;
  if (
    !current?.lifecyclePolicyText ||
    !samePolicy(JSON.parse(current.lifecyclePolicyText), JSON.parse(lifecyclePolicyText))
  ) {
    changes.add(`lifecycle: keep ${ctx.settings.keepImages} images`, () =>
      call('ecr: put lifecycle policy on', repositoryName, () =>
        ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText })),
      ),
    );
  }
  return changes.apply(ctx.dryRun, 'scan on push, immutable tags, lifecycle');
}
