import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../log.ts';
import { quickCheck } from '../persistence/sqlite-file.ts';
import { type Bucket, isStoreError, type SnapshotStore } from '../persistence/store.ts';
import { PERSONAL_NAME } from '../workspaces/workspaces.ts';
import { migrate } from './migrate.ts';
import { directoryMigrations, workspaceMigrations } from './migrations.ts';

/**
 * The one-time split of the single database object of earlier releases (CC_DB_KEY) into the
 * directory and one personal workspace per account. It runs when an instance finds no directory
 * object; it never changes or deletes the old object, so a rollback still finds it.
 *
 * Safe with several instances starting at once, and after a crash at any point:
 * - every account's workspace id is derived from the old database's own secret (its random
 *   `meta.session_key`) and the account id, so every instance computes the same ids, and they stay
 *   unguessable to anyone without a copy of the old database;
 * - each workspace object is created with If-None-Match: * (another instance's identical split, or
 *   an earlier attempt of ours, already made it: fine), and only then the directory, also with
 *   If-None-Match: * by the caller (replica.ts) — so a directory never points at a missing object;
 * - a crash before the directory is uploaded leaves workspace objects nobody can reach; the next
 *   start finds them already made and goes on. Writes through the old release after the split are
 *   not carried over (see docs/persistence.md).
 */
export interface SplitOptions {
  bucket: Bucket;
  /** The old single object (CC_DB_KEY). */
  legacyKey: string;
  /** Where workspace objects go: `${prefix}workspaces/<id>.sqlite`. */
  prefix: string;
  /** Scratch directory for the files built here. */
  scratchDir: string;
  log: Logger;
  /** How many workspace objects are uploaded at once. */
  concurrency?: number;
}

interface LegacyUser {
  id: number;
  email: string;
  password_hash: string;
  created_at: string;
}

/** Builds the directory from the legacy object: returns its file, or null when there is no legacy object. */
export async function splitLegacy(opts: SplitOptions): Promise<string | null> {
  const { bucket, legacyKey, log } = opts;
  mkdirSync(opts.scratchDir, { recursive: true });
  const legacyFile = join(opts.scratchDir, `legacy-${randomBytes(4).toString('hex')}.sqlite`);
  const legacy = bucket.object(legacyKey);
  const res = await legacy.download(legacyFile);
  if (res.status !== 'ok') return null;
  const t0 = performance.now();
  try {
    const problem = quickCheck(legacyFile);
    if (problem) {
      throw new Error(
        `${legacy.location} (version ${res.versionId ?? res.etag}) cannot be split into workspaces: ${problem}. ` +
          'Restore a sound version of it first (`npm run db -- versions --key …`).',
      );
    }
    const old = new Database(legacyFile, { readonly: true, fileMustExist: true });
    try {
      const seed = (
        old.prepare("SELECT value FROM meta WHERE key = 'session_key'").get() as { value: string } | undefined
      )?.value;
      if (!seed) throw new Error(`${legacy.location} is not a Code Canvas database (no meta.session_key)`);
      const users = old
        .prepare('SELECT id, email, password_hash, created_at FROM users ORDER BY id')
        .all() as LegacyUser[];
      const stamp = res.lastModified;
      log.info('splitting the single database into a directory and personal workspaces', {
        from: legacy.location,
        versionId: res.versionId,
        accounts: users.length,
      });
      let created = 0;
      await forEachBounded(users, opts.concurrency ?? 8, async (user) => {
        const id = legacyWorkspaceId(seed, user.id);
        const file = join(opts.scratchDir, `ws-${id}.sqlite`);
        try {
          buildWorkspace(old, user.id, file, stamp, res.etag);
          if (await putWorkspace(bucket.object(`${opts.prefix}workspaces/${id}.sqlite`), file, res.etag))
            created++;
        } finally {
          rmSync(file, { force: true });
        }
      });
      const directory = join(opts.scratchDir, `directory-${randomBytes(4).toString('hex')}.sqlite`);
      buildDirectory(users, seed, directory, stamp, {
        key: legacyKey,
        etag: res.etag,
        versionId: res.versionId ?? '',
      });
      log.info('split done: uploading the directory', {
        workspaces: users.length,
        created,
        ms: Math.round(performance.now() - t0),
      });
      return directory;
    } finally {
      old.close();
    }
  } finally {
    rmSync(legacyFile, { force: true });
  }
}

/** The personal workspace id of legacy account `userId`: the same on every instance, unguessable without the seed. */
export function legacyWorkspaceId(seed: string, userId: number): string {
  return createHmac('sha256', seed)
    .update(`code-canvas split: workspace of user ${userId}`)
    .digest('base64url')
    .slice(0, 22);
}

/**
 * Creates the workspace object from `file` unless it exists. One that exists was made by this same
 * split (another instance, or an attempt that crashed before the directory was uploaded). If it was
 * made from another version of the legacy object (the old release wrote in between), nobody can
 * have used it yet — no directory points at it — so it is replaced, conditionally on its ETag.
 * Returns whether this call wrote it.
 */
async function putWorkspace(store: SnapshotStore, file: string, legacyEtag: string): Promise<boolean> {
  const bytes = readFileSync(file);
  try {
    await store.put(bytes, { ifNoneMatch: '*' });
    return true;
  } catch (err) {
    if (!isStoreError(err, 'precondition_failed')) throw err;
  }
  const existing = `${file}.existing`;
  try {
    const res = await store.download(existing);
    if (res.status !== 'ok') return false;
    const from = readMeta(existing, 'split_from_etag');
    if (from === legacyEtag) return false;
    await store.put(bytes, { ifMatch: res.etag }).catch((err: unknown) => {
      if (!isStoreError(err, 'precondition_failed')) throw err;
    });
    return true;
  } finally {
    rmSync(existing, { force: true });
  }
}

function readMeta(file: string, key: string): string | undefined {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

function buildWorkspace(
  old: Database.Database,
  userId: number,
  file: string,
  stamp: Date,
  legacyEtag: string,
): void {
  rmSync(file, { force: true });
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      // The first schema, which the rows below fit; later migrations then bring them up to date
      // exactly as they would any workspace made before them.
      migrate(db, workspaceMigrations.slice(0, 1), () => stamp);
      db.prepare("INSERT INTO meta (key, value) VALUES ('split_from_etag', ?)").run(legacyEtag);
      const insertProject = db.prepare(
        'INSERT INTO projects (id, name, is_inbox, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      );
      const projects = old
        .prepare(
          'SELECT id, name, is_inbox, created_at, updated_at FROM projects WHERE user_id = ? ORDER BY id',
        )
        .all(userId) as {
        id: number;
        name: string;
        is_inbox: number;
        created_at: string;
        updated_at: string;
      }[];
      for (const p of projects) insertProject.run(p.id, p.name, p.is_inbox, p.created_at, p.updated_at);
      if (!projects.some((p) => p.is_inbox === 1)) {
        const at = stamp.toISOString();
        db.prepare(
          "INSERT INTO projects (name, is_inbox, created_at, updated_at) VALUES ('Inbox', 1, ?, ?)",
        ).run(at, at);
      }
      const insertTask = db.prepare(
        `INSERT INTO tasks (id, project_id, title, description, status, priority, due_date, created_by, updated_by, created_at, updated_at)
         VALUES (@id, @project_id, @title, @description, @status, @priority, @due_date, @user_id, @user_id, @created_at, @updated_at)`,
      );
      const tasks = old
        .prepare(
          `SELECT id, project_id, title, description, status, priority, due_date, user_id, created_at, updated_at
           FROM tasks WHERE user_id = ? ORDER BY id`,
        )
        .iterate(userId);
      for (const t of tasks) insertTask.run(t);
      migrate(db, workspaceMigrations, () => stamp);
    })();
  } finally {
    db.close();
  }
}

function buildDirectory(
  users: LegacyUser[],
  seed: string,
  file: string,
  stamp: Date,
  source: { key: string; etag: string; versionId: string },
): void {
  rmSync(file, { force: true });
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      migrate(db, directoryMigrations, () => stamp);
      const insertUser = db.prepare(
        'INSERT INTO users (id, email, password_hash, personal_workspace_id, created_at) VALUES (?, ?, ?, ?, ?)',
      );
      const insertWorkspace = db.prepare(
        'INSERT INTO workspaces (id, name, personal, created_by, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?)',
      );
      const insertMember = db.prepare(
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)",
      );
      for (const u of users) {
        const id = legacyWorkspaceId(seed, u.id);
        insertUser.run(u.id, u.email, u.password_hash, id, u.created_at);
        insertWorkspace.run(id, PERSONAL_NAME, u.id, u.created_at, u.created_at);
        insertMember.run(id, u.id, u.created_at);
      }
      const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      meta.run('split_from_key', source.key);
      meta.run('split_from_etag', source.etag);
      meta.run('split_from_version', source.versionId);
    })();
  } finally {
    db.close();
  }
}

async function forEachBounded<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
