import { describe, expect, it } from 'vitest';
import { awsError, DeployError, formatError } from '../../deploy/errors.ts';
import { serviceError } from './support/fake-aws.ts';
import { COMMIT_A, createHarness } from './support/harness.ts';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('AWS errors, as the operator reads them', () => {
  it('says what failed, on what, and the fix that fits the cause', () => {
    const cases: [Error, RegExp][] = [
      [
        named('CredentialsProviderError', 'Could not load credentials from any providers'),
        /^no AWS credentials found — configure AWS credentials/,
      ],
      [
        named(
          'CredentialsProviderError',
          'The SSO session associated with this profile has expired or is otherwise invalid.',
        ),
        /has expired .* — refresh them \(e\.g\. `aws sso login/,
      ],
      [
        serviceError('ExpiredToken', 'The security token included in the request is expired'),
        /^iam: get role r: The security token .* — the AWS credentials have expired/,
      ],
      [
        serviceError('InvalidClientTokenId', 'The security token included in the request is invalid.'),
        /AWS rejected the credentials/,
      ],
      [
        serviceError('AccessDeniedException', 'User: arn:aws:iam::1:user/o is not authorized'),
        /not authorized — grant the operator the permissions in docs\/deploy.md/,
      ],
      [serviceError('Throttling', 'Rate exceeded'), /wait a minute and re-run/],
      [
        serviceError('CodeStorageExceededException', 'Code storage limit exceeded.'),
        /delete old function versions/,
      ],
      [
        named('Error', 'getaddrinfo ENOTFOUND iam.example'),
        /AWS could not be reached: check the network and that the region name is right/,
      ],
      [serviceError('SomethingNew', 'odd'), /^iam: get role r: odd — re-run to resume/],
    ];
    for (const [err, expected] of cases) {
      const mapped = awsError(err, 'iam: get role', 'r');
      expect(mapped).toBeInstanceOf(DeployError);
      expect(formatError(mapped), err.message).toMatch(expected);
      expect(formatError(mapped)).not.toContain('\n');
    }
  });

  it('refuses a bucket name another account owns, naming the flag to choose another', async () => {
    const h = await createHarness();
    try {
      h.fake.failNext(
        'CreateBucket',
        serviceError('BucketAlreadyExists', 'The requested bucket name is not available.', 409),
      );
      const failure = (await h.deploy(COMMIT_A).catch((e: unknown) => e)) as DeployError;
      expect(formatError(failure)).toBe(
        's3: bucket name code-canvas-prod-123456789012-eu-west-1 is taken by another account — bucket names are global: choose another with --bucket',
      );
    } finally {
      await h.close();
    }
  });
});
