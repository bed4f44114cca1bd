/**
 * A small in-memory AWS account behind aws-sdk-client-mock: each mocked command reads and changes
 * this state the way the real service does (including its error names), so a deploy's checks see
 * what an earlier run created, and a test can assert every call in order with its exact input.
 * Only what the deploy tooling uses is modelled.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { type AwsClients, clientsFor, type Identity } from '../../../deploy/aws.ts';
import { installIamEcr, type RepoState, type RoleState } from './fake-iam-ecr.ts';
import { type FunctionState, installLambda } from './fake-lambda.ts';
import { type BucketState, installLogs, installS3, type LogGroupState } from './fake-s3-logs.ts';
import { installSsm, type ParameterState } from './fake-ssm.ts';

export interface Call {
  service: string;
  command: string;
  input: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: command classes of every client share no useful type
export type CommandClass = new (input: any) => any;
// biome-ignore lint/suspicious/noExplicitAny: one stub per client type
export type Stub = AwsStub<any, any, any>;

const READ_ONLY = /^(Get|List|Describe|Head|Filter)/;

export class FakeAccount {
  readonly account = '123456789012';
  readonly region = 'eu-west-1';
  readonly identity: Identity = {
    account: this.account,
    arn: `arn:aws:iam::${this.account}:user/operator`,
    partition: 'aws',
    region: this.region,
  };
  readonly buckets = new Map<string, BucketState>();
  readonly repos = new Map<string, RepoState>();
  readonly roles = new Map<string, RoleState>();
  readonly logGroups = new Map<string, LogGroupState>();
  readonly functions = new Map<string, FunctionState>();
  readonly parameters = new Map<string, ParameterState>();
  /** Digest → the commit its image was built from (what /version reports). */
  readonly imageCommits = new Map<string, string>();
  readonly calls: Call[] = [];
  /** CreateFunction refuses a role this many times, as while IAM propagates a new role. */
  rolePropagationFailures = 0;
  /** The account's Lambda concurrency (a new account: limit 10, minimum 10 unreserved). */
  accountConcurrency = { limit: 1000, unreservedMinimum: 100 };
  /** The next CreateFunction / Update* leaves the function Failed with this reason. */
  failNextUpdate: string | undefined;
  /** Calls on an existing bucket answer NoSuchBucket this many times, as right after CreateBucket. */
  bucketPropagationFailures = 0;
  /** What CreateFunctionUrlConfig answers as the URL: the test's loopback stand-in app. */
  urlBase = 'http://127.0.0.1:9/';
  private readonly faults: { command: string; error: Error }[] = [];
  private readonly stubs: Stub[] = [];
  readonly clients: AwsClients;

  constructor() {
    this.clients = clientsFor({
      region: this.region,
      credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
    });
    const sts = this.stub('sts', this.clients.sts);
    this.handle(sts, 'sts', GetCallerIdentityCommand, () => ({
      Account: this.account,
      Arn: this.identity.arn,
    }));
    installS3(this, this.stub('s3', this.clients.s3));
    installLogs(this, this.stub('logs', this.clients.logs));
    const iam = this.stub('iam', this.clients.iam);
    const ecr = this.stub('ecr', this.clients.ecr);
    installIamEcr(this, iam, ecr);
    installLambda(this, this.stub('lambda', this.clients.lambda));
    installSsm(this, this.stub('ssm', this.clients.ssm));
  }

  // biome-ignore lint/suspicious/noExplicitAny: any SDK client
  private stub(service: string, client: any): Stub {
    const stub = mockClient(client) as Stub;
    stub.onAnyCommand().callsFake((input: unknown) => {
      throw new Error(`fake ${service}: unmodelled command with input ${JSON.stringify(input)}`);
    });
    this.stubs.push(stub);
    return stub;
  }

  /** Routes one command to `handler`, recording the call and applying any queued fault first. */
  handle<I>(stub: Stub, service: string, command: CommandClass, handler: (input: I) => unknown): void {
    const name = command.name.replace(/Command$/, '');
    stub.on(command).callsFake(async (input: I) => {
      this.calls.push({ service, command: name, input: structuredClone(input) as Record<string, unknown> });
      const fault = this.faults.findIndex((f) => f.command === name);
      if (fault >= 0) {
        const [f] = this.faults.splice(fault, 1);
        throw f?.error;
      }
      return handler(input);
    });
  }

  /** The next call of `command` (e.g. 'CreateFunctionUrlConfig') fails with `error`. */
  failNext(command: string, error: Error): void {
    this.faults.push({ command, error });
  }

  /** Calls that change something, as `Command` names in order. */
  mutations(): string[] {
    return this.calls
      .filter((c) => !READ_ONLY.test(c.command) && c.command !== 'GetAuthorizationToken')
      .map((c) => c.command);
  }

  /** Inputs of every call of `command`, in order. */
  inputs(command: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.command === command).map((c) => c.input);
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  restore(): void {
    for (const s of this.stubs) s.restore();
  }
}

/** An SDK-style service error: what `err.name` / `$metadata` look like on the real thing. */
export function serviceError(name: string, message: string, httpStatusCode = 400): Error {
  const err = new Error(message) as Error & { $metadata: object; $fault: string };
  err.name = name;
  err.$metadata = { httpStatusCode };
  err.$fault = 'client';
  return err;
}
