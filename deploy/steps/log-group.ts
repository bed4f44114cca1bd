/**
 * The function's log group, made before the function so it has a retention period: the one
 * Lambda creates on first use keeps logs forever, and so costs grow forever.
 */
import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { DeployContext } from '../context.ts';
import { call, isNotFound } from '../errors.ts';
import { Changes, type StepResult } from '../report.ts';

export async function ensureLogGroup(ctx: DeployContext): Promise<StepResult> {
  const { logs } = ctx.clients;
  const logGroupName = ctx.names.logGroup;
  const retentionInDays = ctx.settings.logRetentionDays;
  const changes = new Changes();
  const out = await call('logs: describe log group', logGroupName, () =>
    logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName })),
  );
  const group = out.logGroups?.find((g) => g.logGroupName === logGroupName);
  if (!group) {
    changes.creating = true;
    changes.add('create', async () => {
      try {
        await logs.send(new CreateLogGroupCommand({ logGroupName, tags: ctx.names.tags }));
      } catch (err) {
        // The function may have run (and made it) since we looked.
        if (!isNotFound(err, 'ResourceAlreadyExistsException')) {
          await call('logs: create log group', logGroupName, () => Promise.reject(err));
        }
      }
    });
  }
  if (group?.retentionInDays !== retentionInDays) {
    changes.add(`retention ${retentionInDays} d`, () =>
      call('logs: set retention of', logGroupName, () =>
        logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays })),
      ),
    );
  }
  return changes.apply(ctx.dryRun, `retention ${retentionInDays} d`);
}
