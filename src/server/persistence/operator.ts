import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { headerCheck, quickCheck } from './sqlite-file.ts';
import type { ObjectInfo, PutCondition, SnapshotStore, VersionInfo } from './store.ts';
import { isStoreError } from './store.ts';

/**
 * The operator's database commands (`npm run db -- …`), on any SnapshotStore. Each returns plain
 * data for the CLI to print; expected failures throw OperatorError (one line, for the operator).
 */

/** An expected failure: the message is the whole story (what failed, on what, what to do). */
export class OperatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorError';
  }
}

export interface InfoResult {
  location: string;
  key: string;
  current: ObjectInfo | null;
}

export interface PullResult {
  location: string;
  file: string;
  object: ObjectInfo;
}

export interface WriteResult {
  location: string;
  /** What was written: `version ID` for restore, the file for push. */
  source: string;
  /** The object that was current before, if any. */
  previous: ObjectInfo | null;
  /** The new current object. */
  current: ObjectInfo;
  /** True when written without a condition (--force). */
  forced: boolean;
  /** Why the source was not sound, when --force restored it anyway. */
  unsound?: string;
}

/** The current object's metadata (null when there is none). */
export async function getInfo(store: SnapshotStore, key: string): Promise<InfoResult> {
  return { location: store.location, key, current: await store.head() };
}

/** Every version, newest first. */
export async function getVersions(store: SnapshotStore): Promise<VersionInfo[]> {
  return store.listVersions();
}

/**
 * Downloads the current object, or one version, to `out` (default: the key's file name in the
 * working directory, with the version id before the extension). Never overwrites a file.
 */
export async function pullVersion(
  store: SnapshotStore,
  key: string,
  opts: { versionId?: string; out?: string },
): Promise<PullResult> {
  const file = resolve(opts.out ?? defaultPullName(key, opts.versionId));
  if (existsSync(file))
    throw new OperatorError(`${file} already exists: choose another --out or remove it first`);
  const res = await store.download(file, { versionId: opts.versionId }).catch((err: unknown) => {
    if (isStoreError(err, 'not_found')) throw missingVersion(store, opts.versionId ?? '');
    throw err;
  });
  if (res.status !== 'ok') throw new OperatorError(`${store.location} has no current database object`);
  const { status: _, ...object } = res;
  return { location: store.location, file, object };
}

/**
 * Makes an old version the current object again, as a new version. The version must be a sound
 * SQLite database (PRAGMA quick_check) unless `force`. The write is conditional on the ETag that
 * was current when the restore began, so a concurrent writer is never overwritten; `force` writes
 * unconditionally (for services that do not honour conditional writes).
 */
export async function restoreVersion(
  store: SnapshotStore,
  opts: { versionId: string; force: boolean; scratchDir: string },
): Promise<WriteResult> {
  const tmp = join(opts.scratchDir, `.cc-restore-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
  try {
    const previous = await store.head();
    const res = await store.download(tmp, { versionId: opts.versionId }).catch((err: unknown) => {
      if (isStoreError(err, 'not_found')) throw missingVersion(store, opts.versionId);
      throw err;
    });
    if (res.status !== 'ok') throw missingVersion(store, opts.versionId);
    const problem = checkSqliteFile(tmp);
    if (problem && !opts.force) {
      throw new OperatorError(
        `version ${opts.versionId} of ${store.location} is not a sound SQLite database (${problem}); ` +
          'not restored (--force restores it anyway)',
      );
    }
    const source = `version ${opts.versionId}`;
    const result = await writeCurrent(store, await readFile(tmp), previous, opts.force, source);
    return problem ? { ...result, unsound: problem } : result;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Uploads a local SQLite file as the new current object, conditional on the current ETag unless
 * `force`. `validate` may refuse it further (wrong kind, a schema newer than this release): a file
 * every instance would then fail to open is never pushed, `force` or not.
 */
export async function pushFile(
  store: SnapshotStore,
  opts: { file: string; force: boolean; validate?: ((path: string) => string | null) | undefined },
): Promise<WriteResult> {
  const file = resolve(opts.file);
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw new OperatorError(`${file} is not a file`);
  const problem = checkSqliteFile(file);
  if (problem) throw new OperatorError(`${file} is not a sound SQLite database (${problem}); not pushed`);
  const wrong = opts.validate?.(file);
  if (wrong) throw new OperatorError(`${file} cannot be pushed to ${store.location}: ${wrong}`);
  const previous = await store.head();
  return writeCurrent(store, await readFile(file), previous, opts.force, file);
}

/** Header check, then PRAGMA quick_check: null when the file is a sound SQLite database. */
export function checkSqliteFile(path: string): string | null {
  return headerCheck(path) ?? quickCheck(path);
}

async function writeCurrent(
  store: SnapshotStore,
  bytes: Uint8Array,
  previous: ObjectInfo | null,
  force: boolean,
  source: string,
): Promise<WriteResult> {
  const condition: PutCondition = force
    ? { unconditional: true }
    : previous
      ? { ifMatch: previous.etag }
      : { ifNoneMatch: '*' };
  try {
    const current = await store.put(bytes, condition);
    return { location: store.location, source, previous, current, forced: force };
  } catch (err) {
    if (!isStoreError(err, 'precondition_failed')) throw err;
    throw await explainRefusal(store, previous);
  }
}

/**
 * A refused conditional write means someone else wrote — unless the object is unchanged, which
 * means the service ignores conditions it cannot evaluate (Ceph refuses every If-Match on a
 * versioned bucket). Tell the two apart, because the fixes differ.
 */
async function explainRefusal(store: SnapshotStore, previous: ObjectInfo | null): Promise<OperatorError> {
  const now = await store.head().catch(() => undefined);
  if (now !== undefined && (now?.etag ?? null) === (previous?.etag ?? null)) {
    return new OperatorError(
      `${store.location} refused the conditional write although the database has not changed ` +
        `(ETag ${previous?.etag ?? 'none'}): the service does not honour conditional writes on this bucket. ` +
        'Make sure no server is writing, then re-run with --force',
    );
  }
  const was = previous ? `ETag ${previous.etag}` : 'no object';
  const is = now ? `ETag ${now.etag}` : now === null ? 'no object' : 'unknown';
  return new OperatorError(
    `${store.location} changed while this command ran (${was} → ${is}): a server is writing; nothing was ` +
      'overwritten. Re-run to write on top of the new version',
  );
}

function missingVersion(store: SnapshotStore, versionId: string): OperatorError {
  return new OperatorError(
    `${store.location} has no version "${versionId}" (list them with \`npm run db -- versions\`)`,
  );
}

function defaultPullName(key: string, versionId: string | undefined): string {
  const name = basename(key);
  if (versionId === undefined) return name;
  const ext = extname(name);
  const safe = versionId.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${name.slice(0, name.length - ext.length)}.${safe}${ext}`;
}
