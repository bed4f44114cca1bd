/**
 * Every setting of the deploy tooling (`npm run deploy|rollback|logs|destroy`), read from flags and
 * the environment in this one module and validated before anything talks to AWS. The flags and
 * their variables are the table in options.ts.
 *
 * Region and credentials are not read here: the AWS SDK resolves them the standard way
 * (AWS_REGION, AWS_PROFILE, ~/.aws/config, SSO…); `--region` / `--profile` only override that.
 */
import { parseArgs } from 'node:util';
import { DeployError } from './errors.ts';
import { ALL, COMMANDS, type Command, OPTIONS } from './options.ts';

export type { Command } from './options.ts';

export type Env = Record<string, string | undefined>;
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
  /** Reserved concurrency: the most instances at once; undefined = no cap (`--max-concurrency none`). */
  maxConcurrency: number | undefined;
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
  /** Go live although the code knows fewer migrations than a published version (deploy, rollback). */
  force: boolean;
  deleteData: boolean;
  confirmBucket: string | undefined;
  logsSince: string;
  logsFollow: boolean;
  logsFilter: string | undefined;
}

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
  const concurrency = raw('max-concurrency') as string;
  if (concurrency !== 'none' && !/^\d+$/.test(concurrency)) {
    throw new DeployError(`${name('max-concurrency')}: "${concurrency}" is not a whole number or "none"`);
  }
  const maxConcurrency = concurrency === 'none' ? undefined : req(int('max-concurrency', 1, 100_000));
  const appEnv = pairs('env', /^[A-Za-z_][A-Za-z0-9_]*$/);
  for (const key of Object.keys(appEnv)) {
    if (
      key.startsWith('AWS_') ||
      ['CC_S3_BUCKET', 'CC_DB_KEY', 'CC_MAX_STALENESS_MS', 'CC_SESSION_SECRET_PARAMETER'].includes(key)
    ) {
      throw new DeployError(`--env ${key}: set by the deploy itself`, {
        fix: key.startsWith('AWS_')
          ? 'Lambda reserves AWS_* variables'
          : 'use --bucket, --db-key or --max-staleness-ms (the session secret parameter is /<app>/<stage>/session-secret)',
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
    maxConcurrency,
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
    force: bool('force'),
    deleteData: bool('delete-data'),
    confirmBucket: raw('confirm'),
    logsSince: raw('since') ?? '10m',
    logsFollow: bool('follow'),
    logsFilter: raw('filter'),
  };
}

/** Validates a region name's shape, so a typo fails here rather than as a DNS error later. */
export function checkRegion(region: string, source?: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) {
    throw new DeployError(`${source ? `${source}: ` : ''}region "${region}" is not an AWS region name`, {
      fix: 'use a name such as eu-west-1 (AWS_REGION, AWS_DEFAULT_REGION, the profile’s region, or --region)',
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
