import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { type Env, loadConfig } from '../config.ts';
import { openStore } from './open-store.ts';
import {
  getInfo,
  getVersions,
  OperatorError,
  pullVersion,
  pushFile,
  restoreVersion,
  type WriteResult,
} from './operator.ts';
import type { ObjectInfo, SnapshotStore } from './store.ts';
import { isStoreError } from './store.ts';

/**
 * `npm run db -- <command>`: the operator's view of the database object, through the same settings
 * (loadConfig) and the same store the server uses. Exit codes: 0 done, 1 failed (one line on
 * stderr), 2 bad usage (the usage on stderr).
 */
export interface CliIo {
  env: Env;
  out: (text: string) => void;
  err: (text: string) => void;
}

const USAGE = `Usage: npm run db -- <command> [options]

Operates on the database object the server uses, with the server's settings: the S3 bucket
CC_S3_BUCKET (key CC_DB_KEY), or without it the local store in CC_LOCAL_STORE_DIR.

Commands:
  info                              the current object: location, ETag, version id, size, date
  versions                          every stored version, newest first
  pull [--version ID] [--out FILE]  download the current database (or one version) to a file
  restore --version ID [--force]    make an old version current again, as a new version
  push --file FILE --yes [--force]  upload a SQLite file as the new current database

Every command takes --json (machine-readable output) and --help.`;

const HELP: Record<string, string> = {
  info: `Usage: npm run db -- info [--json]

Shows where the database lives and its current object: ETag, version id, size, last modified.
Example: CC_S3_BUCKET=my-bucket npm run db -- info`,
  versions: `Usage: npm run db -- versions [--json]

Lists every stored version of the database, newest first, marking the current one.
Example: npm run db -- versions --json | jq '.[0].versionId'`,
  pull: `Usage: npm run db -- pull [--version ID] [--out FILE] [--json]

Downloads the current database, or the version ID, to FILE (default: the key's file name in the
working directory, with the version id before the extension). Never overwrites an existing file.
Example: npm run db -- pull --version 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY --out /tmp/before.sqlite`,
  restore: `Usage: npm run db -- restore --version ID [--force] [--json]

Makes version ID the current database again, as a NEW version (history is kept). The version must
pass PRAGMA quick_check. The write is conditional on the current ETag, so a server writing at the
same moment is never overwritten: re-run if that happens.
  --force  restore even if the version is not a sound SQLite database, and write unconditionally
           (for services that ignore conditional writes, e.g. Ceph's versioned buckets; make sure
           no server is writing first)
Example: npm run db -- restore --version 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY`,
  push: `Usage: npm run db -- push --file FILE --yes [--force] [--json]

Uploads FILE as the new current database (the old one stays as a version). FILE must be a sound
SQLite database. Conditional on the current ETag unless --force.
  --yes    required: confirms that the current database is replaced
  --force  write unconditionally (services that ignore conditional writes; stop the servers first)
Example: npm run db -- push --file ./fixed.sqlite --yes`,
};

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'string' },
  out: { type: 'string' },
  file: { type: 'string' },
  yes: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

/** Which options each command accepts (besides --json and --help). */
const ALLOWED: Record<string, string[]> = {
  info: [],
  versions: [],
  pull: ['version', 'out'],
  restore: ['version', 'force'],
  push: ['file', 'yes', 'force'],
};

class UsageError extends Error {}

/**
 * `--version ID` → `--version=ID`: S3 version ids may begin with "-" (radosgw makes such ids), which
 * parseArgs would otherwise refuse as a missing value.
 */
function attachValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const next = argv[i + 1];
    if (OPTIONS[name as keyof typeof OPTIONS]?.type === 'string' && next !== undefined) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Runs one command; resolves with the exit code. */
export async function runDbCli(argv: string[], io: CliIo): Promise<number> {
  // Known before parsing, so a parse error can show that command's help.
  let command: string | undefined = argv[0]?.startsWith('-') ? undefined : argv[0];
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: attachValues(argv),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values;
    command = parsed.positionals[0];
    if (command === 'help' || (command === undefined && values.help)) {
      io.out(USAGE);
      return 0;
    }
    if (command === undefined) throw new UsageError('no command given');
    if (!(command in ALLOWED)) throw new UsageError(`unknown command "${command}"`);
    if (values.help) {
      io.out(HELP[command] ?? USAGE);
      return 0;
    }
    if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument "${parsed.positionals[1]}"`);
    for (const name of Object.keys(values)) {
      if (name !== 'json' && !ALLOWED[command]?.includes(name)) {
        throw new UsageError(`${command} does not take --${name}`);
      }
    }
    if (command === 'restore' && !values.version) throw new UsageError('restore needs --version ID');
    if (command === 'push' && !values.file) throw new UsageError('push needs --file FILE');
    if (command === 'push' && !values.yes) {
      throw new UsageError('push replaces the current database: add --yes to confirm');
    }
  } catch (err) {
    if (!(err instanceof UsageError) && !isParseError(err)) throw err;
    io.err(`db: ${(err as Error).message}\n\n${(command && HELP[command]) || USAGE}`);
    return 2;
  }

  let store: SnapshotStore | undefined;
  try {
    const config = loadConfig(io.env);
    store = openStore(config.store);
    const json = values.json === true;
    const text = await execute(command, values, store, config.store.key, json);
    io.out(text);
    return 0;
  } catch (err) {
    if (
      err instanceof OperatorError ||
      isStoreError(err) ||
      (err as { name?: string })?.name === 'ConfigError'
    ) {
      io.err(`db ${command}: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  } finally {
    (store as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

async function execute(
  command: string,
  v: Record<string, string | boolean | undefined>,
  store: SnapshotStore,
  key: string,
  json: boolean,
): Promise<string> {
  const str = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  switch (command) {
    case 'info': {
      const info = await getInfo(store, key);
      if (json) return toJson(info);
      const c = info.current;
      return table([
        ['location', info.location],
        ['key', info.key],
        ...(c
          ? [
              ['etag', c.etag],
              ['version', c.versionId ?? '(unversioned)'],
              ['size', formatSize(c.size)],
              ['last modified', formatDate(c.lastModified)],
            ]
          : [['current', 'none: no database object yet (the server creates one at first start)']]),
      ]);
    }
    case 'versions': {
      const versions = await getVersions(store);
      if (json) return toJson(versions);
      if (versions.length === 0) return `no versions of ${store.location}`;
      return table([
        ['VERSION ID', 'LAST MODIFIED', 'SIZE', 'CURRENT'],
        ...versions.map((x) => [
          x.versionId,
          formatDate(x.lastModified),
          formatSize(x.size),
          x.isLatest ? '*' : '',
        ]),
      ]);
    }
    case 'pull': {
      const res = await pullVersion(store, key, { versionId: str('version'), out: str('out') });
      if (json) return toJson(res);
      return `pulled ${res.location} ${describeObject(res.object)} to ${res.file}`;
    }
    case 'restore': {
      const res = await restoreVersion(store, {
        versionId: str('version') ?? '',
        force: v.force === true,
        scratchDir: tmpdir(),
      });
      return json ? toJson(res) : describeWrite('restored', res);
    }
    case 'push': {
      const res = await pushFile(store, { file: str('file') ?? '', force: v.force === true });
      return json ? toJson(res) : describeWrite('pushed', res);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function describeWrite(verb: string, res: WriteResult): string {
  const how = res.forced ? ' unconditionally (--force)' : '';
  const lines = [
    `${verb} ${res.source} to ${res.location}${how}: now ${describeObject(res.current)}`,
    `previous: ${res.previous ? describeObject(res.previous) : 'none'}`,
  ];
  if (res.unsound) lines.push(`warning: restored although it is not a sound SQLite database: ${res.unsound}`);
  return lines.join('\n');
}

function describeObject(o: ObjectInfo): string {
  const version = o.versionId === undefined ? '' : `version ${o.versionId}, `;
  return `${version}ETag ${o.etag}, ${formatSize(o.size)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function formatDate(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(1)} ${units[i]} (${bytes} B)`;
}

function isParseError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
