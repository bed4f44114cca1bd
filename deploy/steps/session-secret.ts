/**
 * The session signing key: an SSM Parameter Store SecureString `/<app>/<stage>/session-secret`
 * holding 32 random bytes (hex), made once. A re-run only checks that it exists — it never reads
 * or replaces the value, since a new key logs everybody out. The function reads it at start
 * (CC_SESSION_SECRET_PARAMETER) with ssm:GetParameter on exactly this parameter (role.ts).
 * Encrypted with the AWS-managed key `aws/ssm`, which needs no KMS grant: its key policy lets the
 * account's principals use it through Parameter Store. `destroy` deletes it only with the data.
 */
import { randomBytes } from 'node:crypto';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import type { DeployContext } from '../context.ts';
import { awsError, errorCode, find } from '../errors.ts';
import { Changes, type StepResult } from '../report.ts';

export async function ensureSessionSecret(ctx: DeployContext): Promise<StepResult> {
  const { ssm } = ctx.clients;
  const Name = ctx.names.sessionSecret;
  const changes = new Changes();
  // Without WithDecryption: whether it exists, not what it holds (the operator never needs the key).
  const found = await find('ssm: get parameter', Name, ['ParameterNotFound'], () =>
    ssm.send(new GetParameterCommand({ Name })),
  );
  if (found) {
    const type = found.Parameter?.Type;
    return {
      outcome: 'unchanged',
      detail:
        type === 'SecureString'
          ? 'SecureString, kept'
          : `kept (a ${type}, not encrypted: recreate it as a SecureString)`,
    };
  }
  changes.creating = true;
  changes.add('SecureString, 32 random bytes', async () => {
    try {
      await ssm.send(
        new PutParameterCommand({
          Name,
          Type: 'SecureString',
          Value: randomBytes(32).toString('hex'),
          Description: `Code Canvas session signing key (${ctx.settings.app}, stage ${ctx.settings.stage}); a new value logs everybody out`,
          // Overwrite false (the default): a concurrent run's key wins, and ours is never written over it.
          Overwrite: false,
          Tags: Object.entries(ctx.names.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    } catch (err) {
      if (errorCode(err) === 'ParameterAlreadyExists') return;
      throw awsError(err, 'ssm: create parameter', Name);
    }
  });
  return changes.apply(ctx.dryRun);
}
