/**
 * The table behind the deploy tooling's flags, environment variables and `--help`. docs/deploy.md
 * documents each row; a test keeps the two in step. settings.ts reads them.
 */
import { DEFAULT_KEY } from '../src/server/config.ts';

export type Command = 'deploy' | 'rollback' | 'logs' | 'destroy';

export const COMMANDS: readonly Command[] = ['deploy', 'rollback', 'logs', 'destroy'];

export interface Option {
  flag: string;
  env?: string;
  kind: 'string' | 'int' | 'boolean' | 'list';
  default?: string;
  commands: Command[] | 'all';
  help: string;
}

export const ALL = 'all';
/** The table behind flags, environment variables, `--help` and docs/deploy.md. */
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
    flag: 'max-concurrency',
    env: 'CC_DEPLOY_MAX_CONCURRENCY',
    kind: 'string',
    default: '10',
    commands: ['deploy'],
    help: 'most requests served at once (reserved concurrency): caps what a flood of requests can cost; "none" lifts the cap',
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
    flag: 'force',
    kind: 'boolean',
    commands: ['deploy', 'rollback'],
    help: 'go ahead although the code to go live knows fewer database migrations than a published version',
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
