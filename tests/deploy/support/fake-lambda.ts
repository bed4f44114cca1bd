/**
 * The fake account's Lambda functions: $LATEST, published versions, aliases, Function URLs and
 * resource policies, with the real service's rules that matter to a deploy (no duplicate version
 * when nothing changed, CodeSha256/RevisionId guards, a role that must exist and propagate, an
 * image that must be in the repository).
 */
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  DeleteFunctionUrlConfigCommand,
  type FunctionConfiguration,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { type FakeAccount, type Stub, serviceError } from './fake-aws.ts';

export interface FunctionState {
  latest: FunctionConfiguration & { ImageUri: string };
  versions: Map<string, FunctionConfiguration & { ImageUri: string }>;
  /** Fingerprint of $LATEST when the newest version was published. */
  publishedFingerprint?: string;
  aliases: Map<string, string>;
  urls: Map<string, { FunctionUrl: string; AuthType: string; InvokeMode: string }>;
  policies: Map<string, Record<string, unknown>[]>;
  revision: number;
  tags: Record<string, string>;
  /** Reserved concurrency, when set. */
  reserved?: number;
}

type F = { FunctionName: string; Qualifier?: string };
type Config = Partial<FunctionConfiguration> & { FunctionName: string };

const notFound = (what: string) => serviceError('ResourceNotFoundException', `${what} not found`, 404);

function fingerprint(c: FunctionConfiguration & { ImageUri: string }): string {
  const { ImageUri, Role, MemorySize, Timeout, EphemeralStorage, Environment, Architectures } = c;
  return JSON.stringify({
    ImageUri,
    Role,
    MemorySize,
    Timeout,
    EphemeralStorage,
    Environment,
    Architectures,
  });
}

export function installLambda(fake: FakeAccount, lambda: Stub): void {
  const fn = (input: F): FunctionState => {
    const f = fake.functions.get(input.FunctionName);
    if (!f) throw notFound(`Function ${input.FunctionName}`);
    return f;
  };
  const versionOf = (f: FunctionState, qualifier: string | undefined) => {
    if (qualifier === undefined || qualifier === '$LATEST') return f.latest;
    const v = f.versions.get(f.aliases.get(qualifier) ?? qualifier);
    if (!v) throw notFound(`Qualifier ${qualifier}`);
    return v;
  };
  const alias = (f: FunctionState, name: string | undefined) => {
    if (!name || !f.aliases.has(name)) throw notFound(`Alias ${name}`);
    return name;
  };
  const touch = (f: FunctionState, change: Partial<FunctionState['latest']>) => {
    f.revision++;
    // An update that fails (fake.failNextUpdate) leaves $LATEST Failed with the reason, as Lambda does.
    const reason = fake.failNextUpdate;
    fake.failNextUpdate = undefined;
    Object.assign(f.latest, change, {
      RevisionId: `rev-${f.revision}`,
      State: 'Active',
      LastUpdateStatus: reason ? 'Failed' : 'Successful',
      LastUpdateStatusReason: reason,
    });
  };
  const checkImage = (uri: string | undefined) => {
    const [repoUri, digest] = (uri ?? '').split('@');
    const repo = [...fake.repos.values()].find((r) => r.uri === repoUri);
    if (!repo || !digest || !repo.digests.has(digest)) {
      throw serviceError('InvalidParameterValueException', `Source image ${uri} does not exist.`);
    }
    return digest.replace(/^sha256:/, '');
  };
  const on = <I>(cmd: Parameters<FakeAccount['handle']>[2], handler: (input: I) => unknown) =>
    fake.handle(lambda, 'lambda', cmd, handler);

  on<Config & { Code: { ImageUri: string }; Role: string }>(CreateFunctionCommand, (input) => {
    if (fake.functions.has(input.FunctionName))
      throw serviceError('ResourceConflictException', 'Function already exist');
    if (![...fake.roles.values()].some((r) => r.arn === input.Role) || fake.rolePropagationFailures > 0) {
      fake.rolePropagationFailures = Math.max(0, fake.rolePropagationFailures - 1);
      throw serviceError(
        'InvalidParameterValueException',
        'The role defined for the function cannot be assumed by Lambda.',
      );
    }
    const CodeSha256 = checkImage(input.Code.ImageUri);
    const {
      Code: _c,
      Tags: _t,
      PackageType,
      Description: _d,
      ...config
    } = input as Config & { Code: unknown; Tags?: unknown };
    const f: FunctionState = {
      latest: {
        ...config,
        PackageType,
        ImageUri: input.Code.ImageUri,
        CodeSha256,
        Version: '$LATEST',
        ...(fake.failNextUpdate
          ? { State: 'Failed', StateReason: fake.failNextUpdate }
          : { State: 'Active', LastUpdateStatus: 'Successful' }),
        RevisionId: 'rev-1',
      },
      versions: new Map(),
      aliases: new Map(),
      urls: new Map(),
      policies: new Map(),
      revision: 1,
      tags: { ...((input as { Tags?: Record<string, string> }).Tags ?? {}) },
    };
    fake.failNextUpdate = undefined;
    fake.functions.set(input.FunctionName, f);
    return { ...f.latest, State: 'Pending' };
  });
  on<F>(GetFunctionCommand, (input) => {
    const f = fn(input);
    const c = versionOf(f, input.Qualifier);
    const { ImageUri, ...Configuration } = c;
    return {
      Configuration,
      Code: { RepositoryType: 'ECR', ImageUri, ResolvedImageUri: ImageUri },
      Tags: { ...f.tags },
    };
  });
  on<F>(GetFunctionConfigurationCommand, (input) => {
    const { ImageUri: _, ...config } = versionOf(fn(input), input.Qualifier);
    return config;
  });
  on<Config>(UpdateFunctionConfigurationCommand, (input) => {
    const f = fn(input);
    const { FunctionName: _, ...change } = input;
    touch(f, change);
    return f.latest;
  });
  on<F & { ImageUri: string; Architectures?: string[] }>(UpdateFunctionCodeCommand, (input) => {
    const f = fn(input);
    touch(f, {
      ImageUri: input.ImageUri,
      CodeSha256: checkImage(input.ImageUri),
      ...(input.Architectures
        ? { Architectures: input.Architectures as FunctionConfiguration['Architectures'] }
        : {}),
    });
    return f.latest;
  });
  on<F & { CodeSha256?: string; RevisionId?: string; Description?: string }>(
    PublishVersionCommand,
    (input) => {
      const f = fn(input);
      if (input.CodeSha256 && input.CodeSha256 !== f.latest.CodeSha256) {
        throw serviceError('InvalidParameterValueException', 'CodeSHA256 does not match');
      }
      if (input.RevisionId && input.RevisionId !== f.latest.RevisionId) {
        throw serviceError(
          'PreconditionFailedException',
          'The Revision Id provided does not match the latest Revision Id.',
          412,
        );
      }
      const print = fingerprint(f.latest);
      if (print === f.publishedFingerprint) return versionOf(f, String(f.versions.size)); // no duplicate versions
      const Version = String(f.versions.size + 1);
      f.versions.set(Version, { ...structuredClone(f.latest), Version, Description: input.Description });
      f.publishedFingerprint = print;
      return { ...f.versions.get(Version), ImageUri: undefined };
    },
  );
  on<F & { MaxItems?: number; Marker?: string }>(ListVersionsByFunctionCommand, (input) => {
    const f = fn(input);
    const all = [f.latest, ...f.versions.values()].map(({ Version, Description }) => ({
      Version,
      Description,
    }));
    const from = Number(input.Marker ?? 0);
    const size = input.MaxItems ?? 50;
    return {
      Versions: all.slice(from, from + size),
      NextMarker: from + size < all.length ? String(from + size) : undefined,
    };
  });
  on<F & { Name: string }>(GetAliasCommand, (input) => {
    const f = fn(input);
    return { Name: alias(f, input.Name), FunctionVersion: f.aliases.get(input.Name) };
  });
  on<F & { Name: string; FunctionVersion: string }>(CreateAliasCommand, (input) => {
    const f = fn(input);
    if (f.aliases.has(input.Name)) throw serviceError('ResourceConflictException', 'Alias already exists');
    versionOf(f, input.FunctionVersion);
    f.aliases.set(input.Name, input.FunctionVersion);
    return { Name: input.Name, FunctionVersion: input.FunctionVersion };
  });
  on<F & { Name: string; FunctionVersion: string }>(UpdateAliasCommand, (input) => {
    const f = fn(input);
    alias(f, input.Name);
    versionOf(f, input.FunctionVersion);
    f.aliases.set(input.Name, input.FunctionVersion);
    return { Name: input.Name, FunctionVersion: input.FunctionVersion };
  });
  on<F & { AuthType: string; InvokeMode?: string }>(CreateFunctionUrlConfigCommand, (input) => {
    const f = fn(input);
    const q = alias(f, input.Qualifier);
    if (f.urls.has(q)) throw serviceError('ResourceConflictException', 'FunctionUrlConfig exists');
    f.urls.set(q, {
      FunctionUrl: fake.urlBase,
      AuthType: input.AuthType,
      InvokeMode: input.InvokeMode ?? 'BUFFERED',
    });
    return f.urls.get(q);
  });
  on<F>(GetFunctionUrlConfigCommand, (input) => {
    const url = fn(input).urls.get(input.Qualifier ?? '');
    if (!url) throw notFound('FunctionUrlConfig');
    return url;
  });
  on<F>(DeleteFunctionUrlConfigCommand, (input) => {
    const f = fn(input);
    if (!f.urls.delete(input.Qualifier ?? '')) throw notFound('FunctionUrlConfig');
    return {};
  });
  on<F & Record<string, unknown>>(AddPermissionCommand, (input) => {
    const f = fn(input);
    const q = alias(f, input.Qualifier);
    const list = f.policies.get(q) ?? [];
    if (list.some((s) => s.Sid === input.StatementId)) {
      throw serviceError(
        'ResourceConflictException',
        `The statement id (${input.StatementId}) provided already exists.`,
      );
    }
    const Condition = input.FunctionUrlAuthType
      ? { StringEquals: { 'lambda:FunctionUrlAuthType': input.FunctionUrlAuthType } }
      : input.InvokedViaFunctionUrl
        ? { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } }
        : undefined;
    const Resource = `arn:aws:lambda:${fake.region}:${fake.account}:function:${input.FunctionName}:${q}`;
    const statement = {
      Sid: input.StatementId,
      Effect: 'Allow',
      Principal: '*',
      Action: input.Action,
      Resource,
      Condition,
    };
    f.policies.set(q, [...list, statement]);
    return { Statement: JSON.stringify(statement) };
  });
  on<F>(GetPolicyCommand, (input) => {
    const list = fn(input).policies.get(input.Qualifier ?? '') ?? [];
    if (list.length === 0) throw notFound('The resource you requested');
    return {
      Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: list }),
      RevisionId: 'p',
    };
  });
  on<F & { StatementId: string }>(RemovePermissionCommand, (input) => {
    const f = fn(input);
    const list = f.policies.get(input.Qualifier ?? '') ?? [];
    if (!list.some((s) => s.Sid === input.StatementId)) throw notFound(`Statement ${input.StatementId}`);
    f.policies.set(
      input.Qualifier ?? '',
      list.filter((s) => s.Sid !== input.StatementId),
    );
    return {};
  });
  on<F>(GetFunctionConcurrencyCommand, (input) => {
    const reserved = fn(input).reserved;
    return reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved };
  });
  on<F & { ReservedConcurrentExecutions: number }>(PutFunctionConcurrencyCommand, (input) => {
    const f = fn(input);
    const { limit, unreservedMinimum } = fake.accountConcurrency;
    const others = [...fake.functions.values()]
      .filter((o) => o !== f)
      .reduce((n, o) => n + (o.reserved ?? 0), 0);
    if (limit - others - input.ReservedConcurrentExecutions < unreservedMinimum) {
      throw serviceError(
        'InvalidParameterValueException',
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${unreservedMinimum}].`,
      );
    }
    f.reserved = input.ReservedConcurrentExecutions;
    return { ReservedConcurrentExecutions: f.reserved };
  });
  on<F>(DeleteFunctionConcurrencyCommand, (input) => {
    fn(input).reserved = undefined;
    return {};
  });
  on<F>(DeleteFunctionCommand, (input) => {
    fn(input);
    fake.functions.delete(input.FunctionName);
    return {};
  });
}
