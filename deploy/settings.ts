/**
 * Every setting of the deploy tooling (`npm run deploy|rollback|logs|destroy`), read from flags and
 * the environment in this one module and validated before anything talks to AWS. The README's
 * "Deploy to AWS" section documents each row of OPTIONS; a test keeps the two in step.
 *
 * Region and credentials are not read here: the AWS SDK resolves them the standard way
 * (AWS_REGION, AWS_PROFILE, ~/.aws/config, SSO…); `--region` / `--profile` only override that.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_KEY } from '../src/server/config.ts';
import { DeployError } from './errors.ts';

export type Env = Record<string, string | undefined>;
export type Command = 'deploy' | 'rollback' | 'logs' | 'destroy';
export type Architecture = 'x86_64' | 'arm64';

export interface Settings {
  command: Command;
  app: string;
  stage: string;
  /** Explicit `--region`; undefined = the SDK's own resolution. */
  region: string | undefined;
  profile: string | undefined;
  architecture: Architecture;
  memoryMb: number;
  timeoutS: number;
  ephemeralStorageMb: number;
  noncurrentDays: number;
  noncurrentKeep: number;
  keepImages: number;
  logRetentionDays: number;
  /** Explicit bucket name; undefined = `<app>-<stage>-<account>-<region>`. */
  bucket: string | undefined;
  dbKey: string;
  maxStalenessMs: number | undefined;
  /** Extra app settings for the function (`--env NAME=VALUE`). */
  appEnv: Record<string, string>;
  /** Extra `docker build` arguments (`--build-arg NAME=VALUE`), e.g. a mirrored NODE_IMAGE. */
  buildArgs: Record<string, string>;
  dryRun: boolean;
  verbose: boolean;
  yes: boolean;
  rollbackTo: string | undefined;
  deleteData: boolean;
  confirmBucket: string | undefined;
  logsSince: string;
  logsFollow: boolean;
  logsFilter: string | undefined;
}

interface Option {
  flag: string;
  env?: string;
  kind: 'string' | 'int' | 'boolean' | 'list';
  default?: string;
  commands: Command[] | 'all';
  help: string;
}

const ALL = 'all';
/** The table behind flags, environment variables, `--help` and the README. */
export const OPTIONS: readonly Option[] = [
  {
    flag: 'app',
    env: 'CC_DEPLOY_APP',
    kind: 'string',
    default: 'code-canvas',
    commands: ALL,
    help: 'app name; part of every resource name',
  },
  {
    flag: 'stage',
    env: 'CC_DEPLOY_STAGE',
    kind: 'string',
    default: 'prod',
    commands: ALL,
    help: 'stage; each stage is a wholly separate set of resources',
  },
  {
    flag: 'region',
    kind: 'string',
    commands: ALL,
    help: 'AWS region (default: AWS_REGION or the profile’s region)',
  },
  { flag: 'profile', kind: 'string', commands: ALL, help: 'AWS profile (default: AWS_PROFILE or "default")' },
  {
    flag: 'arch',
    env: 'CC_DEPLOY_ARCH',
    kind: 'string',
    default: 'x86_64',
    commands: ['deploy'],
    help: 'function architecture: x86_64 or arm64 (the image is built for it)',
  },
  {
    flag: 'memory',
    env: 'CC_DEPLOY_MEMORY_MB',
    kind: 'int',
    default: '1024',
    commands: ['deploy'],
    help: 'function memory, MB (128–10240)',
  },
  {
    flag: 'timeout',
    env: 'CC_DEPLOY_TIMEOUT_S',
    kind: 'int',
    default: '30',
    commands: ['deploy'],
    help: 'function timeout, seconds (1–900)',
  },
  {
    flag: 'ephemeral-storage',
    env: 'CC_DEPLOY_EPHEMERAL_STORAGE_MB',
    kind: 'int',
    default: '512',
    commands: ['deploy'],
    help: '/tmp size, MB (512–10240); holds the database copy',
  },
  {
    flag: 'noncurrent-days',
    env: 'CC_DEPLOY_NONCURRENT_DAYS',
    kind: 'int',
    default: '30',
    commands: ['deploy'],
    help: 'days before an old database version may expire',
  },
  {
    flag: 'noncurrent-keep',
    env: 'CC_DEPLOY_NONCURRENT_KEEP',
    kind: 'int',
    default: '5',
    commands: ['deploy'],
    help: 'newest old database versions kept regardless of age (1–100)',
  },
  {
    flag: 'keep-images',
    env: 'CC_DEPLOY_KEEP_IMAGES',
    kind: 'int',
    default: '10',
    commands: ['deploy'],
    help: 'images the repository keeps; older ones expire (limits rollback)',
  },
  {
    flag: 'log-retention-days',
    env: 'CC_DEPLOY_LOG_RETENTION_DAYS',
    kind: 'int',
    default: '30',
    commands: ['deploy'],
    help: 'CloudWatch log retention, days',
  },
  {
    flag: 'bucket',
    env: 'CC_DEPLOY_BUCKET',
    kind: 'string',
    commands: ALL,
    help: 'database bucket (default: <app>-<stage>-<account>-<region>)',
  },
  {
    flag: 'db-key',
    env: 'CC_DEPLOY_DB_KEY',
    kind: 'string',
    default: DEFAULT_KEY,
    commands: ['deploy'],
    help: 'database object key (the app’s CC_DB_KEY)',
  },
  {
    flag: 'max-staleness-ms',
    env: 'CC_DEPLOY_MAX_STALENESS_MS',
    kind: 'int',
    commands: ['deploy'],
    help: 'the app’s CC_MAX_STALENESS_MS (default: the app’s, 0)',
  },
  {
    flag: 'env',
    kind: 'list',
    commands: ['deploy'],
    help: 'extra app setting NAME=VALUE for the function (repeatable)',
  },
  {
    flag: 'build-arg',
    kind: 'list',
    commands: ['deploy'],
    help: 'extra docker build argument NAME=VALUE (repeatable)',
  },
  {
    flag: 'dry-run',
    kind: 'boolean',
    commands: ['deploy', 'destroy'],
    help: 'print what exists and what would change; change nothing',
  },
  { flag: 'verbose', kind: 'boolean', commands: ALL, help: 'stream docker output' },
  {
    flag: 'yes',
    kind: 'boolean',
    commands: ['destroy'],
    help: 'do not ask before removing the function and its resources',
  },
  {
    flag: 'to',
    kind: 'string',
    commands: ['rollback'],
    help: 'version to point `live` at (default: the one before it)',
  },
  {
    flag: 'delete-data',
    kind: 'boolean',
    commands: ['destroy'],
    help: 'also delete the database bucket and every version in it',
  },
  {
    flag: 'confirm',
    kind: 'string',
    commands: ['destroy'],
    help: 'with --delete-data and no terminal: the bucket name, typed out',
  },
  {
    flag: 'since',
    kind: 'string',
    default: '10m',
    commands: ['logs'],
    help: 'show events from this long ago (30s, 10m, 2h, 1d)',
  },
  {
    flag: 'follow',
    kind: 'boolean',
    default: 'true',
    commands: ['logs'],
    help: 'keep following (--no-follow prints and exits)',
  },
  { flag: 'filter', kind: 'string', commands: ['logs'], help: 'CloudWatch filter pattern, e.g. "ERROR"' },
];

export const COMMANDS: readonly Command[] = ['deploy', 'rollback', 'logs', 'destroy'];

/** Lambda alias the Function URL serves; `deploy` and `rollback` move it. */
export const LIVE_ALIAS = 'live';

/** Parses `argv` (after the script name: `deploy --stage dev …`) and `env`; throws DeployError. */
export function parseSettings(argv: readonly string[], env: Env): Settings {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) {
    throw new DeployError(`unknown command "${command ?? ''}"`, {
      fix: `use one of: ${COMMANDS.join(', ')}`,
    });
  }
  const cmd = command as Command;
  const mine = OPTIONS.filter((o) => o.commands === ALL || o.commands.includes(cmd));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowNegative: true,
      options: Object.fromEntries(
        mine.map((o) => [
          o.flag,
          { type: o.kind === 'boolean' ? 'boolean' : 'string', multiple: o.kind === 'list' },
        ]),
      ),
    });
  } catch (err) {
    throw new DeployError(`${cmd}: ${(err as Error).message}`, {
      fix: `see \`node deploy/cli.ts ${cmd} --help\``,
    });
  }
  const raw = (flag: string): string | undefined => {
    const o = OPTIONS.find((x) => x.flag === flag);
    const v = parsed.values[flag];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    const fromEnv = o?.env ? env[o.env]?.trim() : undefined;
    return fromEnv ? fromEnv : o?.default;
  };
  const name = (flag: string): string => {
    const envName = OPTIONS.find((x) => x.flag === flag)?.env;
    return envName ? `--${flag} / ${envName}` : `--${flag}`;
  };
  const int = (flag: string, min: number, max: number): number | undefined => {
    const v = raw(flag);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new DeployError(`${name(flag)}: "${v}" is not a whole number in ${min}–${max}`);
    }
    return Number(v);
  };
  const req = (n: number | undefined): number => n as number;
  const bool = (flag: string): boolean => {
    const v = parsed.values[flag];
    if (typeof v === 'boolean') return v;
    return OPTIONS.find((x) => x.flag === flag)?.default === 'true';
  };
  const pairs = (flag: string, keyPattern: RegExp): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const item of (parsed.values[flag] as string[] | undefined) ?? []) {
      const eq = item.indexOf('=');
      const key = eq > 0 ? item.slice(0, eq) : '';
      if (!keyPattern.test(key)) throw new DeployError(`--${flag} "${item}": expected NAME=VALUE`);
      out[key] = item.slice(eq + 1);
    }
    return out;
  };

  const app = checkName(name('app'), raw('app') as string);
  const stage = checkName(name('stage'), raw('stage') as string);
  const architecture = raw('arch') as string;
  if (architecture !== 'x86_64' && architecture !== 'arm64') {
    throw new DeployError(`${name('arch')}: "${architecture}" is not x86_64 or arm64`);
  }
  const region = raw('region');
  if (region !== undefined) checkRegion(region);
  const dbKey = raw('db-key') as string;
  if (dbKey.startsWith('/') || dbKey.endsWith('/') || dbKey.includes('..')) {
    throw new DeployError(`${name('db-key')}: "${dbKey}" is not a usable object key`);
  }
  const appEnv = pairs('env', /^[A-Za-z_][A-Za-z0-9_]*$/);
  for (const key of Object.keys(appEnv)) {
    if (key.startsWith('AWS_') || ['CC_S3_BUCKET', 'CC_DB_KEY', 'CC_MAX_STALENESS_MS'].includes(key)) {
      throw new DeployError(`--env ${key}: set by the deploy itself`, {
        fix: key.startsWith('AWS_')
          ? 'Lambda reserves AWS_* variables'
          : 'use --bucket, --db-key or --max-staleness-ms',
      });
    }
  }
  return {
    command: cmd,
    app,
    stage,
    region,
    profile: raw('profile'),
    architecture,
    memoryMb: req(int('memory', 128, 10_240)),
    timeoutS: req(int('timeout', 1, 900)),
    ephemeralStorageMb: req(int('ephemeral-storage', 512, 10_240)),
    noncurrentDays: req(int('noncurrent-days', 1, 36_500)),
    noncurrentKeep: req(int('noncurrent-keep', 1, 100)),
    keepImages: req(int('keep-images', 1, 1000)),
    logRetentionDays: checkRetention(name('log-retention-days'), req(int('log-retention-days', 1, 3653))),
    bucket: raw('bucket'),
    dbKey,
    maxStalenessMs: int('max-staleness-ms', 0, 86_400_000),
    appEnv,
    buildArgs: pairs('build-arg', /^[A-Za-z_][A-Za-z0-9_]*$/),
    dryRun: bool('dry-run'),
    verbose: bool('verbose'),
    yes: bool('yes'),
    rollbackTo: raw('to'),
    deleteData: bool('delete-data'),
    confirmBucket: raw('confirm'),
    logsSince: raw('since') ?? '10m',
    logsFollow: bool('follow'),
    logsFilter: raw('filter'),
  };
}

/** The `--help` text of one command, from OPTIONS. */
export function formatHelp(command: Command | undefined): string {
  const rows = OPTIONS.filter((o) => !command || o.commands === ALL || o.commands.includes(command));
  const lines = rows.map((o) => {
    const flag = `--${o.flag}${o.kind === 'boolean' ? '' : ' VALUE'}`;
    const extra = [o.env, o.default !== undefined ? `default ${o.default}` : ''].filter(Boolean).join(', ');
    return `  ${flag.padEnd(28)} ${o.help}${extra ? ` (${extra})` : ''}`;
  });
  return [`usage: node deploy/cli.ts ${command ?? `<${COMMANDS.join('|')}>`} [options]`, '', ...lines].join(
    '\n',
  );
}

/** Validates a region name's shape, so a typo fails here rather than as a DNS error later. */
export function checkRegion(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) {
    throw new DeployError(`region "${region}" is not an AWS region name`, {
      fix: 'use a name such as eu-west-1 (AWS_REGION, the profile’s region, or --region)',
    });
  }
  return region;
}

function checkName(setting: string, value: string): string {
  // Bucket names are the strictest consumer: lowercase letters, digits and single hyphens.
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(value) || value.length > 24) {
    throw new DeployError(`${setting}: "${value}" must be 1–24 lowercase letters, digits and single hyphens`);
  }
  return value;
}

const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
function checkRetention(setting: string, days: number): number {
  if (!RETENTION_DAYS.includes(days)) {
    throw new DeployError(`${setting}: CloudWatch accepts only ${RETENTION_DAYS.join(', ')} days`);
  }
  return days;
}
