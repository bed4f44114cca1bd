/**
 * The AWS side of the deploy: one SDK v3 client per service, built once per run. Steps take the
 * clients they need from AwsClients, so tests replace any of them with `aws-sdk-client-mock` and
 * assert per command. Credentials and region come from the SDK's standard chains.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsError, DeployError } from './errors.ts';
import { checkRegion } from './settings.ts';

export interface AwsClients {
  sts: STSClient;
  s3: S3Client;
  ecr: ECRClient;
  iam: IAMClient;
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
  ssm: SSMClient;
}

/** Who is deploying, where. */
export interface Identity {
  account: string;
  /** The caller's ARN, for error messages and the plan. */
  arn: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: the first field of every ARN we write. */
  partition: string;
  region: string;
}

export function createAwsClients(region: string, profile: string | undefined): AwsClients {
  // maxAttempts 5: the standard retry strategy rides out throttling during a burst of control-plane calls.
  return clientsFor({ region, profile, maxAttempts: 5 });
}

/** One client per service, all with the same settings (the tests' fake account builds its set here too). */
export function clientsFor(config: {
  region: string;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}): AwsClients {
  return {
    sts: new STSClient(config),
    s3: new S3Client(config),
    ecr: new ECRClient(config),
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
    ssm: new SSMClient(config),
  };
}

/**
 * Resolves credentials, then the region, then asks STS who we are. Each missing piece is a
 * DeployError with the fix; nothing is created before this succeeds.
 *
 * The region is taken in the AWS CLI's order: --region, AWS_REGION, AWS_DEFAULT_REGION, then the
 * profile's `region`. The SDK itself reads only AWS_REGION, but AWS_DEFAULT_REGION is the CLI's
 * variable and many shells set only that one.
 */
export async function resolveIdentity(
  explicitRegion: string | undefined,
  profile: string | undefined,
  env: Record<string, string | undefined> = process.env,
) {
  const fromEnv = env.AWS_REGION?.trim() ? undefined : env.AWS_DEFAULT_REGION?.trim() || undefined;
  if (explicitRegion === undefined && fromEnv !== undefined) checkRegion(fromEnv, 'AWS_DEFAULT_REGION');
  const probe = new STSClient({ region: explicitRegion ?? fromEnv, profile });
  try {
    // Credentials first: with neither credentials nor a region, the missing credentials are the news.
    await probe.config.credentials();
  } catch (err) {
    throw awsError(
      err,
      'sts: resolve credentials for',
      profile ? `profile ${profile}` : 'the default profile',
    );
  }
  let region: string;
  try {
    region = checkRegion(await probe.config.region());
  } catch (err) {
    if (err instanceof DeployError) throw err;
    throw new DeployError('no AWS region configured', {
      fix: 'set AWS_REGION (or AWS_DEFAULT_REGION), add `region = …` to the profile in ~/.aws/config, or pass --region',
    });
  }
  const clients = createAwsClients(region, profile);
  const identity = await readIdentity(clients.sts, region);
  return { identity, clients };
}

/** STS GetCallerIdentity → Identity. */
export async function readIdentity(sts: STSClient, region: string): Promise<Identity> {
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    const arn = out.Arn ?? '';
    return { account: out.Account ?? '', arn, partition: arn.split(':')[1] || 'aws', region };
  } catch (err) {
    throw awsError(err, 'sts: get caller identity in', region);
  }
}
