import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { type Config, type Env, loadConfig } from '../config.ts';
import { type DbKind, DIRECTORY, schemaProblem, WORKSPACE } from '../db/kinds.ts';
import { assertWorkspaceId } from './engine.ts';
import { openBucket } from './open-store.ts';
import {
  getInfo,
  getVersions,
  OperatorError,
  pullVersion,
  pushFile,
  restoreVersion,
  type WriteResult,
} from './operator.ts';
import type { Bucket, ObjectInfo, SnapshotStore } from './store.ts';
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

const USAGE = `Usage: npm run db -- <command> [object] [options]

Operates on the database objects the server uses, with the server's settings: the S3 bucket
CC_S3_BUCKET, or without it the local store in CC_LOCAL_STORE_DIR. Objects live under the folder
of CC_DB_KEY: the directory (accounts, workspaces, members) and one object per workspace.

Commands:
  list                              every object: key, kind, size, ETag, how many versions
  info                              the current object: location, ETag, version id, size, date
  versions                          every stored version, newest first
  pull [--version ID] [--out FILE]  download the current database (or one version) to a file
  restore --version ID [--force]    make an old version current again, as a new version
  push --file FILE --yes [--force]  upload a SQLite file as the new current database

Which object (every command but list; the default is the directory):
  --directory                       the directory
  --workspace ID                    the workspace with this id (see list, or the /w/ID/ URLs)
  --key KEY                         any key, e.g. the single database of earlier releases (CC_DB_KEY)

Every command takes --json (machine-readable output) and --help.`;

const HELP: Record<string, string> = {
  list: `Usage: npm run db -- list [--json]

Lists every object under the folder of CC_DB_KEY: its key, its kind (directory, workspace, or the
legacy single database), size, ETag and how many versions are kept. A workspace object no directory
row points at (left by a crash between the two writes of a create or delete) is marked unreferenced.
Example: npm run db -- list`,
  info: `Usage: npm run db -- info [--directory | --workspace ID | --key KEY] [--json]

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
SQLite database of the right kind (a directory for --directory, a workspace for --workspace) that
this release can open (no newer migration than it knows). Conditional on the current ETag unless --force.
  --yes    required: confirms that the current database is replaced
  --force  write unconditionally (services that ignore conditional writes; stop the servers first)
Example: npm run db -- push --file ./fixed.sqlite --yes`,
};

const OPTIONS = {
  json: { type: 'boolean' },
  directory: { type: 'boolean' },
  workspace: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'string' },
  out: { type: 'string' },
  file: { type: 'string' },
  yes: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

/** Which options each command accepts (besides --json and --help). */
const TARGET = ['directory', 'workspace', 'key'];
const ALLOWED: Record<string, string[]> = {
  list: [],
  info: [...TARGET],
  versions: [...TARGET],
  pull: [...TARGET, 'version', 'out'],
  restore: [...TARGET, 'version', 'force'],
  push: [...TARGET, 'file', 'yes', 'force'],
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
    if (TARGET.filter((t) => values[t] !== undefined).length > 1) {
      throw new UsageError('name one object: --directory, --workspace ID or --key KEY');
    }
    if (typeof values.workspace === 'string') {
      try {
        assertWorkspaceId(values.workspace);
      } catch {
        throw new UsageError(`"${values.workspace}" is not a workspace id (see \`npm run db -- list\`)`);
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

  let bucket: Bucket | undefined;
  try {
    const config = loadConfig(io.env);
    bucket = openBucket(config.store);
    const json = values.json === true;
    const text =
      command === 'list'
        ? await listObjects(bucket, config, json)
        : await execute(command, values, bucket, targetOf(values, config), json);
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
    (bucket as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

/** The object a command works on, and its kind when the command can know it. */
interface Target {
  key: string;
  kind: DbKind | undefined;
}

function targetOf(v: Record<string, string | boolean | undefined>, config: Config): Target {
  if (typeof v.workspace === 'string') {
    return { key: `${config.prefix}workspaces/${v.workspace}.sqlite`, kind: WORKSPACE };
  }
  if (typeof v.key === 'string') return { key: v.key, kind: undefined };
  return { key: `${config.prefix}directory.sqlite`, kind: DIRECTORY };
}

/** Every object under the prefix, with its kind, and whether the directory points at each workspace. */
async function listObjects(bucket: Bucket, config: Config, json: boolean): Promise<string> {
  const objects = await bucket.list(config.prefix);
  const directoryKey = `${config.prefix}directory.sqlite`;
  const known = objects.some((o) => o.key === directoryKey)
    ? await workspaceIds(bucket.object(directoryKey))
    : null;
  const rows = objects.map((o) => {
    const ws = new RegExp(`^${escapeRegExp(config.prefix)}workspaces/([A-Za-z0-9_-]+)\\.sqlite$`).exec(o.key);
    const kind =
      o.key === directoryKey
        ? 'directory'
        : ws
          ? known === null || known.has(ws[1] as string)
            ? 'workspace'
            : 'workspace (unreferenced)'
          : o.key === config.store.key
            ? 'legacy single database'
            : 'other';
    return { ...o, kind };
  });
  if (json) return toJson(rows);
  if (rows.length === 0) return `no objects under ${bucket.location}/${config.prefix}`;
  return table([
    ['KEY', 'KIND', 'SIZE', 'ETAG', 'VERSIONS', 'LAST MODIFIED'],
    ...rows.map((r) => [
      r.key,
      r.kind,
      formatSize(r.size),
      r.etag,
      String(r.versions),
      formatDate(r.lastModified),
    ]),
  ]);
}

async function workspaceIds(directory: SnapshotStore): Promise<Set<string>> {
  const file = join(tmpdir(), `cc-list-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
  try {
    const res = await directory.download(file);
    if (res.status !== 'ok') return new Set();
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return new Set((db.prepare('SELECT id FROM workspaces').all() as { id: string }[]).map((r) => r.id));
    } finally {
      db.close();
    }
  } finally {
    rmSync(file, { force: true });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function execute(
  command: string,
  v: Record<string, string | boolean | undefined>,
  bucket: Bucket,
  target: Target,
  json: boolean,
): Promise<string> {
  const store = bucket.object(target.key);
  const key = target.key;
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
      const kind = target.kind;
      const res = await pushFile(store, {
        file: str('file') ?? '',
        force: v.force === true,
        validate: kind ? (path) => schemaProblem(path, kind) : undefined,
      });
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
