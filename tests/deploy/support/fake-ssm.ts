/** The fake account's SSM parameters (see fake-aws.ts). */
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { type FakeAccount, type Stub, serviceError } from './fake-aws.ts';

export interface ParameterState {
  type: string;
  value: string;
  description?: string;
  tags: Record<string, string>;
  version: number;
}

type P = { Name: string };

export function installSsm(fake: FakeAccount, ssm: Stub): void {
  const param = (name: string): ParameterState => {
    const p = fake.parameters.get(name);
    if (!p) throw serviceError('ParameterNotFound', '', 400);
    return p;
  };
  const on = <I>(cmd: Parameters<FakeAccount['handle']>[2], fn: (input: I) => unknown) =>
    fake.handle(ssm, 'ssm', cmd, fn);
  on<P & { WithDecryption?: boolean }>(GetParameterCommand, (input) => {
    const p = param(input.Name);
    // SSM hands back a SecureString's ciphertext unless asked to decrypt.
    const Value =
      p.type === 'SecureString' && !input.WithDecryption ? `encrypted:${p.value.length}` : p.value;
    return { Parameter: { Name: input.Name, Type: p.type, Value, Version: p.version } };
  });
  on<
    P & {
      Type: string;
      Value: string;
      Overwrite?: boolean;
      Description?: string;
      Tags?: { Key: string; Value: string }[];
    }
  >(PutParameterCommand, (input) => {
    const existing = fake.parameters.get(input.Name);
    if (existing && !input.Overwrite)
      throw serviceError('ParameterAlreadyExists', 'The parameter already exists.');
    const version = (existing?.version ?? 0) + 1;
    fake.parameters.set(input.Name, {
      type: input.Type,
      value: input.Value,
      description: input.Description,
      tags: existing?.tags ?? Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value])),
      version,
    });
    return { Version: version, Tier: 'Standard' };
  });
  on<P>(DeleteParameterCommand, (input) => {
    param(input.Name);
    fake.parameters.delete(input.Name);
    return {};
  });
  on<{ ResourceType: string; ResourceId: string }>(ListTagsForResourceCommand, (input) => {
    if (input.ResourceType !== 'Parameter') throw serviceError('InvalidResourceType', input.ResourceType);
    const p = fake.parameters.get(input.ResourceId);
    if (!p) throw serviceError('InvalidResourceId', 'The resource ID is not valid.');
    return { TagList: Object.entries(p.tags).map(([Key, Value]) => ({ Key, Value })) };
  });
}
