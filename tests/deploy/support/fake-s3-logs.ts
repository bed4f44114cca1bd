/** The fake account's S3 buckets and CloudWatch log groups (see fake-aws.ts). */
import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  ListTagsForResourceCommand as LogsListTagsForResourceCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  type LifecycleRule,
  ListObjectVersionsCommand,
  type PublicAccessBlockConfiguration,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';
import { type FakeAccount, type Stub, serviceError } from './fake-aws.ts';

export interface BucketState {
  region: string;
  tags?: Record<string, string>;
  versioning?: string;
  encryption?: ServerSideEncryptionConfiguration;
  publicAccessBlock?: PublicAccessBlockConfiguration;
  policy?: string;
  rules?: LifecycleRule[];
  /** Object versions and delete markers: key + versionId. */
  versions: { Key: string; VersionId: string; marker?: boolean }[];
}

export interface LogGroupState {
  retentionInDays?: number;
  tags?: Record<string, string>;
  events: FilteredLogEvent[];
}

type In = Record<string, unknown> & { Bucket: string };

export function installS3(fake: FakeAccount, s3: Stub): void {
  const bucket = (input: In): BucketState => {
    const b = fake.buckets.get(input.Bucket);
    // A bucket just created is not yet visible to every endpoint: eventual consistency.
    if (b && fake.bucketPropagationFailures > 0) fake.bucketPropagationFailures--;
    else if (b) return b;
    throw serviceError('NoSuchBucket', 'The specified bucket does not exist', 404);
  };
  const on = <I>(cmd: Parameters<FakeAccount['handle']>[2], fn: (input: I) => unknown) =>
    fake.handle(s3, 's3', cmd, fn);

  on<In>(HeadBucketCommand, (input) => {
    const b = fake.buckets.get(input.Bucket);
    if (!b) throw serviceError('NotFound', 'Not Found', 404);
    return { BucketRegion: b.region };
  });
  on<In & { CreateBucketConfiguration?: { LocationConstraint?: string } }>(CreateBucketCommand, (input) => {
    if (fake.buckets.has(input.Bucket)) throw serviceError('BucketAlreadyOwnedByYou', 'already yours', 409);
    fake.buckets.set(input.Bucket, {
      region: input.CreateBucketConfiguration?.LocationConstraint ?? 'us-east-1',
      versions: [],
    });
    return { Location: `/${input.Bucket}` };
  });
  on<In>(GetBucketTaggingCommand, (input) => {
    const tags = bucket(input).tags;
    if (!tags) throw serviceError('NoSuchTagSet', 'The TagSet does not exist', 404);
    return { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
  });
  on<In & { Tagging: { TagSet: { Key: string; Value: string }[] } }>(PutBucketTaggingCommand, (input) => {
    bucket(input).tags = Object.fromEntries(input.Tagging.TagSet.map((t) => [t.Key, t.Value]));
    return {};
  });
  on<In>(GetBucketVersioningCommand, (input) => ({ Status: bucket(input).versioning }));
  on<In & { VersioningConfiguration: { Status: string } }>(PutBucketVersioningCommand, (input) => {
    bucket(input).versioning = input.VersioningConfiguration.Status;
    return {};
  });
  on<In>(GetBucketEncryptionCommand, (input) => {
    const enc = bucket(input).encryption;
    if (!enc) throw serviceError('ServerSideEncryptionConfigurationNotFoundError', 'none', 404);
    return { ServerSideEncryptionConfiguration: enc };
  });
  on<In & { ServerSideEncryptionConfiguration: ServerSideEncryptionConfiguration }>(
    PutBucketEncryptionCommand,
    (input) => {
      bucket(input).encryption = input.ServerSideEncryptionConfiguration;
      return {};
    },
  );
  on<In>(GetPublicAccessBlockCommand, (input) => {
    const pab = bucket(input).publicAccessBlock;
    if (!pab) throw serviceError('NoSuchPublicAccessBlockConfiguration', 'none', 404);
    return { PublicAccessBlockConfiguration: pab };
  });
  on<In & { PublicAccessBlockConfiguration: PublicAccessBlockConfiguration }>(
    PutPublicAccessBlockCommand,
    (input) => {
      bucket(input).publicAccessBlock = input.PublicAccessBlockConfiguration;
      return {};
    },
  );
  on<In>(GetBucketPolicyCommand, (input) => {
    const policy = bucket(input).policy;
    if (!policy) throw serviceError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
    return { Policy: policy };
  });
  on<In & { Policy: string }>(PutBucketPolicyCommand, (input) => {
    bucket(input).policy = input.Policy;
    return {};
  });
  on<In>(GetBucketLifecycleConfigurationCommand, (input) => {
    const rules = bucket(input).rules;
    if (!rules?.length) throw serviceError('NoSuchLifecycleConfiguration', 'none', 404);
    return { Rules: rules };
  });
  on<In & { LifecycleConfiguration: { Rules: LifecycleRule[] } }>(
    PutBucketLifecycleConfigurationCommand,
    (input) => {
      bucket(input).rules = input.LifecycleConfiguration.Rules;
      return {};
    },
  );
  on<In & { MaxKeys?: number }>(ListObjectVersionsCommand, (input) => {
    const page = bucket(input).versions.slice(0, input.MaxKeys ?? 1000);
    return {
      Versions: page.filter((v) => !v.marker).map(({ Key, VersionId }) => ({ Key, VersionId })),
      DeleteMarkers: page.filter((v) => v.marker).map(({ Key, VersionId }) => ({ Key, VersionId })),
    };
  });
  on<In & { Delete: { Objects: { Key: string; VersionId: string }[] } }>(DeleteObjectsCommand, (input) => {
    const b = bucket(input);
    const gone = new Set(input.Delete.Objects.map((o) => `${o.Key}@${o.VersionId}`));
    b.versions = b.versions.filter((v) => !gone.has(`${v.Key}@${v.VersionId}`));
    return {};
  });
  on<In>(DeleteBucketCommand, (input) => {
    if (bucket(input).versions.length > 0)
      throw serviceError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409);
    fake.buckets.delete(input.Bucket);
    return {};
  });
}

export function installLogs(fake: FakeAccount, logs: Stub): void {
  type G = { logGroupName: string };
  const group = (input: G): LogGroupState => {
    const g = fake.logGroups.get(input.logGroupName);
    if (!g) throw serviceError('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  };
  const on = <I>(cmd: Parameters<FakeAccount['handle']>[2], fn: (input: I) => unknown) =>
    fake.handle(logs, 'logs', cmd, fn);
  on<{ logGroupNamePrefix: string }>(DescribeLogGroupsCommand, (input) => ({
    logGroups: [...fake.logGroups]
      .filter(([name]) => name.startsWith(input.logGroupNamePrefix))
      .map(([logGroupName, g]) => ({ logGroupName, retentionInDays: g.retentionInDays })),
  }));
  on<G & { tags?: Record<string, string> }>(CreateLogGroupCommand, (input) => {
    if (fake.logGroups.has(input.logGroupName))
      throw serviceError('ResourceAlreadyExistsException', 'exists');
    fake.logGroups.set(input.logGroupName, { events: [], tags: input.tags });
    return {};
  });
  on<{ resourceArn: string }>(LogsListTagsForResourceCommand, (input) => {
    // The log group's ARN without the `:*` that DescribeLogGroups' `arn` carries.
    const name = /:log-group:(.+)$/.exec(input.resourceArn)?.[1] ?? '';
    if (name.endsWith(':*')) throw serviceError('InvalidParameterException', 'the ARN must not end in :*');
    return { tags: { ...group({ logGroupName: name }).tags } };
  });
  on<G & { retentionInDays: number }>(PutRetentionPolicyCommand, (input) => {
    group(input).retentionInDays = input.retentionInDays;
    return {};
  });
  on<G>(DeleteLogGroupCommand, (input) => {
    group(input);
    fake.logGroups.delete(input.logGroupName);
    return {};
  });
  on<G & { startTime?: number; nextToken?: string }>(FilterLogEventsCommand, (input) => {
    // Two events per page, so the caller's paging is exercised.
    const all = group(input).events.filter((e) => (e.timestamp ?? 0) >= (input.startTime ?? 0));
    const from = Number(input.nextToken ?? 0);
    const events = all.slice(from, from + 2);
    return { events, nextToken: from + 2 < all.length ? String(from + 2) : undefined };
  });
}
