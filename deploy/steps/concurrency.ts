/**
 * The function's reserved concurrency, `--max-concurrency` (default 10): the most requests it
 * serves at once. A public Function URL has no other limit, so without it a flood of requests
 * (or a loop somewhere) scales the function up to the account's whole concurrency — and the bill
 * with it; past the cap Lambda answers 429 instead. `--max-concurrency none` removes the cap.
 *
 * Lambda keeps a minimum of the account's concurrency unreserved (100 on an account with the
 * standard 1,000; new accounts start with a total of 10, all of it unreservable), and refuses a
 * reservation that would cut into it: that refusal is turned into a line saying what to do.
 */
import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import type { DeployContext } from '../context.ts';
import { awsError, call, DeployError, errorCode } from '../errors.ts';
import { Changes, type StepResult } from '../report.ts';

const BELOW_MINIMUM = /UnreservedConcurrentExecution below its minimum value of \[(\d+)\]/;

export async function ensureConcurrency(ctx: DeployContext): Promise<StepResult> {
  const { lambda } = ctx.clients;
  const FunctionName = ctx.names.functionName;
  const want = ctx.settings.maxConcurrency;
  const label = want === undefined ? 'no cap' : `at most ${want} at once`;
  const changes = new Changes();
  // Dry run of a first deploy: nothing to read yet.
  const current = ctx.state.functionExists
    ? (
        await call('lambda: get concurrency of', FunctionName, () =>
          lambda.send(new GetFunctionConcurrencyCommand({ FunctionName })),
        )
      ).ReservedConcurrentExecutions
    : undefined;
  if (current === want) return { outcome: 'unchanged', detail: label };
  changes.creating = current === undefined;
  changes.add(label, async () => {
    if (want === undefined) {
      await call('lambda: remove the concurrency cap of', FunctionName, () =>
        lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName })),
      );
      return;
    }
    try {
      await lambda.send(
        new PutFunctionConcurrencyCommand({ FunctionName, ReservedConcurrentExecutions: want }),
      );
    } catch (err) {
      const minimum = BELOW_MINIMUM.exec((err as Error).message ?? '')?.[1];
      if (errorCode(err) !== 'InvalidParameterValueException' || minimum === undefined) {
        throw awsError(err, `lambda: reserve ${want} concurrent executions for`, FunctionName);
      }
      throw new DeployError(
        `lambda: reserving ${want} concurrent executions for ${FunctionName} would leave this account fewer than the ${minimum} unreserved ones Lambda requires (new accounts start with 10 in all)`,
        {
          fix: 'ask for a higher "Concurrent executions" quota for Lambda in Service Quotas and re-run, or deploy without the cap: --max-concurrency none',
          cause: err,
        },
      );
    }
  });
  return changes.apply(ctx.dryRun);
}
