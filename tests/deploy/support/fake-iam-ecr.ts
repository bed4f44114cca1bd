/** The fake account's IAM roles and ECR repositories (see fake-aws.ts). */
import { createHash } from 'node:crypto';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ListTagsForResourceCommand as EcrListTagsForResourceCommand,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { type FakeAccount, type Stub, serviceError } from './fake-aws.ts';

export interface RoleState {
  arn: string;
  tags?: Record<string, string>;
  trust: string;
  attached: Set<string>;
  inline: Map<string, string>;
}

export interface RepoState {
  uri: string;
  arn?: string;
  /** The repository's own tags (not image tags). */
  resourceTags?: Record<string, string>;
  scanOnPush: boolean;
  mutability: string;
  lifecyclePolicy?: string;
  /** tag → digest */
  tags: Map<string, string>;
  digests: Set<string>;
}

/** The token GetAuthorizationToken hands out (user AWS). */
export const ECR_PASSWORD = 'fake-ecr-token';

type R = { RoleName: string };
type E = { repositoryName: string };

export function installIamEcr(fake: FakeAccount, iam: Stub, ecr: Stub): void {
  const role = (input: R): RoleState => {
    const r = fake.roles.get(input.RoleName);
    if (!r)
      throw serviceError(
        'NoSuchEntityException',
        `The role with name ${input.RoleName} cannot be found.`,
        404,
      );
    return r;
  };
  const onIam = <I>(cmd: Parameters<FakeAccount['handle']>[2], fn: (input: I) => unknown) =>
    fake.handle(iam, 'iam', cmd, fn);
  // IAM hands policy documents back URL-encoded.
  const view = (name: string, r: RoleState) => ({
    RoleName: name,
    Arn: r.arn,
    AssumeRolePolicyDocument: encodeURIComponent(r.trust),
    ...(r.tags ? { Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
  });
  onIam<R>(GetRoleCommand, (input) => ({ Role: view(input.RoleName, role(input)) }));
  onIam<R & { AssumeRolePolicyDocument: string; Tags?: { Key: string; Value: string }[] }>(
    CreateRoleCommand,
    (input) => {
      if (fake.roles.has(input.RoleName)) throw serviceError('EntityAlreadyExistsException', 'exists', 409);
      const r: RoleState = {
        arn: `arn:aws:iam::${fake.account}:role/${input.RoleName}`,
        tags: input.Tags ? Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value])) : undefined,
        trust: input.AssumeRolePolicyDocument,
        attached: new Set(),
        inline: new Map(),
      };
      fake.roles.set(input.RoleName, r);
      return { Role: view(input.RoleName, r) };
    },
  );
  onIam<R & { PolicyDocument: string }>(UpdateAssumeRolePolicyCommand, (input) => {
    role(input).trust = input.PolicyDocument;
    return {};
  });
  onIam<R>(ListAttachedRolePoliciesCommand, (input) => ({
    AttachedPolicies: [...role(input).attached].map((PolicyArn) => ({
      PolicyArn,
      PolicyName: PolicyArn.split('/').at(-1),
    })),
  }));
  onIam<R & { PolicyArn: string }>(AttachRolePolicyCommand, (input) => {
    role(input).attached.add(input.PolicyArn);
    return {};
  });
  onIam<R & { PolicyArn: string }>(DetachRolePolicyCommand, (input) => {
    role(input).attached.delete(input.PolicyArn);
    return {};
  });
  onIam<R & { PolicyName: string }>(GetRolePolicyCommand, (input) => {
    const doc = role(input).inline.get(input.PolicyName);
    if (!doc) throw serviceError('NoSuchEntityException', `no policy ${input.PolicyName}`, 404);
    return {
      RoleName: input.RoleName,
      PolicyName: input.PolicyName,
      PolicyDocument: encodeURIComponent(doc),
    };
  });
  onIam<R & { PolicyName: string; PolicyDocument: string }>(PutRolePolicyCommand, (input) => {
    role(input).inline.set(input.PolicyName, input.PolicyDocument);
    return {};
  });
  onIam<R>(ListRolePoliciesCommand, (input) => ({ PolicyNames: [...role(input).inline.keys()] }));
  onIam<R & { PolicyName: string }>(DeleteRolePolicyCommand, (input) => {
    role(input).inline.delete(input.PolicyName);
    return {};
  });
  onIam<R>(DeleteRoleCommand, (input) => {
    const r = role(input);
    if (r.attached.size || r.inline.size)
      throw serviceError('DeleteConflictException', 'must remove policies first', 409);
    fake.roles.delete(input.RoleName);
    return {};
  });

  const repo = (input: E): RepoState => {
    const r = fake.repos.get(input.repositoryName);
    if (!r) throw serviceError('RepositoryNotFoundException', `repository ${input.repositoryName} not found`);
    return r;
  };
  const onEcr = <I>(cmd: Parameters<FakeAccount['handle']>[2], fn: (input: I) => unknown) =>
    fake.handle(ecr, 'ecr', cmd, fn);
  const repoView = (name: string, r: RepoState) => ({
    repositoryName: name,
    repositoryUri: r.uri,
    repositoryArn: r.arn ?? `arn:aws:ecr:${fake.region}:${fake.account}:repository/${name}`,
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    imageTagMutability: r.mutability,
  });
  onEcr<{ repositoryNames: string[] }>(DescribeRepositoriesCommand, (input) => ({
    repositories: input.repositoryNames.map((n) => repoView(n, repo({ repositoryName: n }))),
  }));
  onEcr<
    E & {
      imageScanningConfiguration?: { scanOnPush?: boolean };
      imageTagMutability?: string;
      tags?: { Key: string; Value: string }[];
    }
  >(CreateRepositoryCommand, (input) => {
    if (fake.repos.has(input.repositoryName))
      throw serviceError('RepositoryAlreadyExistsException', 'exists');
    const r: RepoState = {
      resourceTags: input.tags ? Object.fromEntries(input.tags.map((t) => [t.Key, t.Value])) : undefined,
      // A reserved name: the real one is the account's registry host.
      uri: `${fake.account}.registry.invalid/${input.repositoryName}`,
      scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
      mutability: input.imageTagMutability ?? 'MUTABLE',
      tags: new Map(),
      digests: new Set(),
    };
    fake.repos.set(input.repositoryName, r);
    return { repository: repoView(input.repositoryName, r) };
  });
  onEcr<E & { imageScanningConfiguration: { scanOnPush: boolean } }>(
    PutImageScanningConfigurationCommand,
    (input) => {
      repo(input).scanOnPush = input.imageScanningConfiguration.scanOnPush;
      return {};
    },
  );
  onEcr<E & { imageTagMutability: string }>(PutImageTagMutabilityCommand, (input) => {
    repo(input).mutability = input.imageTagMutability;
    return {};
  });
  onEcr<E>(GetLifecyclePolicyCommand, (input) => {
    const text = repo(input).lifecyclePolicy;
    if (!text) throw serviceError('LifecyclePolicyNotFoundException', 'no lifecycle policy');
    return { lifecyclePolicyText: text };
  });
  onEcr<E & { lifecyclePolicyText: string }>(PutLifecyclePolicyCommand, (input) => {
    repo(input).lifecyclePolicy = input.lifecyclePolicyText;
    return {};
  });
  onEcr<E & { imageIds: { imageTag?: string; imageDigest?: string }[] }>(DescribeImagesCommand, (input) => {
    const r = repo(input);
    const id = input.imageIds[0] ?? {};
    const digest = id.imageTag
      ? r.tags.get(id.imageTag)
      : id.imageDigest && r.digests.has(id.imageDigest)
        ? id.imageDigest
        : undefined;
    if (!digest) throw serviceError('ImageNotFoundException', `image ${JSON.stringify(id)} not found`);
    return {
      imageDetails: [
        {
          imageDigest: digest,
          imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        },
      ],
    };
  });
  onEcr<{ resourceArn: string }>(EcrListTagsForResourceCommand, (input) => {
    const name = input.resourceArn.split(':repository/')[1] ?? '';
    const r = repo({ repositoryName: name });
    return { tags: Object.entries(r.resourceTags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
  });
  onEcr<object>(GetAuthorizationTokenCommand, () => ({
    authorizationData: [
      {
        authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64'),
        proxyEndpoint: `https://${fake.account}.registry.invalid`,
      },
    ],
  }));
  onEcr<E & { force?: boolean }>(DeleteRepositoryCommand, (input) => {
    const r = repo(input);
    if (r.digests.size > 0 && !input.force) throw serviceError('RepositoryNotEmptyException', 'not empty');
    fake.repos.delete(input.repositoryName);
    return {};
  });
}

/** What a push does to the fake: the tag now names a new digest in the repository at `uri`. */
export function pushToFakeRepository(fake: FakeAccount, uri: string, tag: string, commit: string): string {
  const entry = [...fake.repos.values()].find((r) => r.uri === uri);
  if (!entry) throw new Error(`push ${uri}:${tag}: name unknown: repository does not exist`);
  if (entry.tags.has(tag) && entry.mutability === 'IMMUTABLE') {
    throw new Error(`push ${uri}:${tag}: tag invalid: the image tag already exists and is immutable`);
  }
  const digest = `sha256:${createHash('sha256').update(`${uri}:${tag}:${commit}`).digest('hex')}`;
  entry.tags.set(tag, digest);
  entry.digests.add(digest);
  fake.imageCommits.set(digest, commit);
  return digest;
}
