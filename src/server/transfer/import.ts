import { createHmac } from 'node:crypto';
import Database from 'better-sqlite3';
import type { User } from '../auth/users.ts';
import { migrate } from '../db/migrate.ts';
import { workspaceMigrations } from '../db/migrations.ts';
import { AppError } from '../errors.ts';
import { type Answer, type KeyGuard, recordedAnswer, runOnce } from '../http/idempotency.ts';
import type { Lease } from '../persistence/engine.ts';
import type { Replica } from '../persistence/replica.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import type { Runtime } from '../runtime.ts';
import { createProject, INBOX } from '../tasks/projects.ts';
import { discardWorkspaceObject } from '../workspaces/service.ts';
import {
  countOwnedWorkspaces,
  getMyWorkspace,
  insertWorkspace,
  isWorkspaceId,
  newWorkspaceId,
} from '../workspaces/workspaces.ts';
import { importInto, type MergeCounts } from './merge.ts';
import { type ImportWorkspace, type ParsedImport, rejectProblems } from './model.ts';

/**
 * Runs an import: where each part of the file goes, a dry run, or the real thing, exactly once
 * per Idempotency-Key or form token.
 *
 * Where things go: into the workspace the person chose, all of it; otherwise the exporter's
 * personal workspace (or a CSV) into the importer's personal workspace, and every other exported
 * workspace into a new workspace of the same name that the importer owns. Members never travel.
 *
 * Each workspace object gets the import in one transaction, so none is ever half-imported. An
 * import that makes new workspaces touches several objects, in the order of every change that
 * does (docs/persistence.md):
 *
 * 1. Each new workspace object is created whole — its Inbox and its part of the import in the
 *    creating transaction (If-None-Match: *). Nobody can reach it yet.
 * 2. One directory write: their rows, owned by the importer (and the workspace limit checked).
 * 3. One write of the existing workspace that receives the rest.
 *
 * Before step 1 the whole import is rehearsed on copies (the existing workspace serialised into
 * memory, the new ones empty), so that a file that does not fit or is refused is refused before
 * anything is written. With a key, each step records the answer so far with its change, and the
 * ids of new workspaces derive from the key: the same request again skips what is done, finds the
 * objects step 1 already made, and completes what a crash left — it never imports twice. Without
 * one, a crash between steps leaves new workspaces without the rest (or unreachable objects,
 * listed as unreferenced by `npm run db -- list`).
 */

export interface ImportedWorkspace extends MergeCounts {
  /** Null in a dry run, for a workspace that would be created. */
  id: string | null;
  name: string;
  /** A new workspace, made by the import. */
  created: boolean;
}

export interface ImportSummary {
  dryRun: boolean;
  workspaces: ImportedWorkspace[];
  totals: { workspaces: number; projects: number; labels: number; tasks: number; checklistItems: number };
}

/** Where each part of a file goes. */
export interface ImportPlan {
  existing: { id: string; name: string; sources: ImportWorkspace[] } | null;
  created: { name: string; sources: ImportWorkspace[] }[];
}

export interface ImportOptions {
  /** A workspace (id) to import all of the file into; undefined: as described at the top. */
  target: string | undefined;
  dryRun: boolean;
  /** The request's Idempotency-Key or form token. */
  guard: KeyGuard | undefined;
  /** Where a form lands afterwards (recorded with the answer). */
  landing?: (summary: ImportSummary) => string;
  /** When the request arrived (engine clock): the workspaces are read at least that fresh. */
  arrivedAt: number;
}

export interface ImportResult {
  summary: ImportSummary;
  /** Where each part went (absent on a replay). */
  plan?: ImportPlan;
  /** The answer as recorded (status 201 with the summary; a dry run 200). */
  answer: Answer;
  replayed: boolean;
}

/** Decides where each part goes, from the directory `db` (see the top of the file). */
export function planImport(db: Db, user: User, parsed: ParsedImport, target: string | undefined): ImportPlan {
  if (target !== undefined) {
    const ws = isWorkspaceId(target) ? getMyWorkspace(db, target, user.id) : null;
    if (!ws) throw new AppError('not_found', 'That workspace was not found.', { field: 'workspace' });
    return { existing: { id: ws.id, name: ws.name, sources: parsed.workspaces }, created: [] };
  }
  const personal = getMyWorkspace(db, user.personalWorkspaceId, user.id);
  const mine = parsed.workspaces.filter((w) => w.personal);
  return {
    existing: mine.length > 0 && personal ? { id: personal.id, name: personal.name, sources: mine } : null,
    created: parsed.workspaces
      .filter((w) => !w.personal || !personal)
      .map((w) => ({ name: w.name, sources: [w] })),
  };
}

/** Runs the import `parsed` for `user` (see the top of the file). Throws ImportRejected with the problems. */
export async function runImport(
  rt: Runtime,
  user: User,
  parsed: ParsedImport,
  opts: ImportOptions,
): Promise<ImportResult> {
  if (parsed.problems.length > 0) throw rejectProblems(parsed.problems);
  const { engine } = rt;
  const plan = engine.directory.read((db) => planImport(db, user, parsed, opts.target));
  let lease: Lease | undefined;
  try {
    if (plan.existing) {
      lease = await engine.workspace(plan.existing.id);
      await lease.replica.ensureFresh(opts.arrivedAt);
    }
    const guard = opts.dryRun ? undefined : opts.guard;
    const answerOf = (summary: ImportSummary): Answer => ({
      status: 201,
      body: summary,
      ...(opts.landing ? { location: opts.landing(summary) } : {}),
    });
    // The last step's record is the whole answer: the request was done before.
    const last = lease?.replica ?? engine.directory;
    const prior = guard && last.read((db) => recordedAnswer(db, guard));
    if (prior) return { summary: prior.body as ImportSummary, answer: prior, replayed: true };
    const directoryDone =
      guard && plan.created.length > 0 ? engine.directory.read((db) => recordedAnswer(db, guard)) : undefined;
    if (!directoryDone)
      engine.directory.read((db) => assertRoomForWorkspaces(rt, db, user, plan.created.length));

    const rehearsed =
      opts.dryRun || plan.created.length > 0 ? rehearse(rt, user, plan, lease?.replica) : undefined;
    if (opts.dryRun) {
      const summary = summarise(true, rehearsed ?? []);
      return { summary, plan, answer: { status: 200, body: summary }, replayed: false };
    }

    let createdParts: ImportedWorkspace[] = [];
    if (directoryDone) {
      createdParts = (directoryDone.body as ImportSummary).workspaces.filter((w) => w.created);
    } else if (plan.created.length > 0) {
      const ids = plan.created.map((_, i) => (guard ? derivedWorkspaceId(rt, guard, i) : newWorkspaceId()));
      createdParts = (rehearsed ?? [])
        .filter((w) => w.created)
        .map((w, i) => ({ ...w, id: ids[i] as string }));
      await createObjects(rt, user, plan, ids, guard === undefined);
      const produce = (db: Db): Answer => {
        assertRoomForWorkspaces(rt, db, user, ids.length);
        plan.created.forEach((c, i) => {
          insertWorkspace(db, { id: ids[i] as string, name: c.name, personal: false, ownerId: user.id });
        });
        return answerOf(summarise(false, createdParts));
      };
      try {
        if (guard) await runOnce(engine.directory, guard, produce);
        else await engine.directory.write(produce);
      } catch (err) {
        // Ids derived from a key may be what another attempt with that key is about to point at.
        if (!guard) for (const id of ids) discardWorkspaceObject(rt, id, err);
        throw err;
      }
    }

    if (!lease || !plan.existing) {
      const summary = summarise(false, createdParts);
      logImported(rt, user, summary);
      return { summary, plan, answer: answerOf(summary), replayed: false };
    }
    const into = plan.existing;
    const produce = (db: Db): Answer => {
      const counts = importInto(db, user.id, into.sources, { quota: rt.config.quota, name: into.name });
      return answerOf(
        summarise(false, [{ id: into.id, name: into.name, created: false, ...counts }, ...createdParts]),
      );
    };
    const answer = guard
      ? (await runOnce(lease.replica, guard, produce)).answer
      : await lease.replica.write(produce);
    const summary = answer.body as ImportSummary;
    logImported(rt, user, summary);
    return { summary, plan, answer, replayed: false };
  } finally {
    lease?.release();
  }
}

/**
 * Step 1: each new workspace's object, created whole. On a definite failure the ones made go again
 * when `discard` (random ids); ids derived from a key stay for the next attempt to find.
 */
async function createObjects(
  rt: Runtime,
  user: User,
  plan: ImportPlan,
  ids: string[],
  discard: boolean,
): Promise<void> {
  const now = new Date();
  const made: string[] = [];
  try {
    for (const [i, c] of plan.created.entries()) {
      const id = ids[i] as string;
      const lease = await rt.engine.createWorkspace(id, (db) => {
        createProject(db, INBOX, { now, isInbox: true });
        importInto(db, user.id, c.sources, { quota: rt.config.quota, name: c.name, now });
      });
      lease.release();
      made.push(id);
    }
  } catch (err) {
    if (discard) for (const id of made) discardWorkspaceObject(rt, id, err);
    throw err;
  }
}

/**
 * The import run on copies, changing nothing: the existing workspace's acknowledged state
 * serialised into memory, each new workspace as an empty one. Throws what the real import would.
 */
function rehearse(
  rt: Runtime,
  user: User,
  plan: ImportPlan,
  replica: Replica | undefined,
): ImportedWorkspace[] {
  const out: ImportedWorkspace[] = [];
  const onCopy = (db: Db, run: (db: Db) => MergeCounts): MergeCounts => {
    try {
      db.pragma('foreign_keys = ON');
      return db.transaction(() => run(db))();
    } finally {
      db.close();
    }
  };
  if (plan.existing && replica) {
    const into = plan.existing;
    const image = replica.read((db) => db.serialize());
    // The working copy is in WAL mode; a database in memory cannot be.
    image[18] = 1;
    image[19] = 1;
    const counts = onCopy(new Database(image), (db) =>
      importInto(db, user.id, into.sources, { quota: rt.config.quota, name: into.name }),
    );
    out.push({ id: into.id, name: into.name, created: false, ...counts });
  }
  for (const c of plan.created) {
    const counts = onCopy(new Database(':memory:'), (db) => {
      migrate(db, workspaceMigrations);
      createProject(db, INBOX, { isInbox: true });
      return importInto(db, user.id, c.sources, { quota: rt.config.quota, name: c.name });
    });
    out.push({ id: null, name: c.name, created: true, ...counts });
  }
  return out;
}

function assertRoomForWorkspaces(rt: Runtime, db: Db, user: User, adding: number): void {
  if (adding === 0) return;
  const limit = rt.config.quota.workspacesPerAccount;
  const owned = countOwnedWorkspaces(db, user.id);
  if (owned + adding > limit) {
    throw new AppError(
      'quota_exceeded',
      `This import makes ${adding} new ${adding === 1 ? 'workspace' : 'workspaces'}, but you own ${owned} of the ${limit} one account may own. Import into one of your workspaces instead, or delete some.`,
      { field: 'workspace' },
    );
  }
}

/**
 * The id of the `index`-th workspace an import with this key creates: the same on every attempt
 * (so a retry finds the object it made), unguessable without the server's key.
 */
function derivedWorkspaceId(rt: Runtime, guard: KeyGuard, index: number): string {
  return createHmac('sha256', rt.sessionKey())
    .update(`import-workspace\n${guard.scope}\n${guard.key}\n${index}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

function summarise(dryRun: boolean, workspaces: ImportedWorkspace[]): ImportSummary {
  const sum = (f: (w: ImportedWorkspace) => number) => workspaces.reduce((n, w) => n + f(w), 0);
  return {
    dryRun,
    workspaces,
    totals: {
      workspaces: workspaces.filter((w) => w.created).length,
      projects: sum((w) => w.projects.length),
      labels: sum((w) => w.labels.length),
      tasks: sum((w) => w.tasks),
      checklistItems: sum((w) => w.checklistItems),
    },
  };
}

function logImported(rt: Runtime, user: User, summary: ImportSummary): void {
  rt.log.info('import applied', {
    userId: user.id,
    ...summary.totals,
    workspaceIds: summary.workspaces.map((w) => w.id),
  });
}
