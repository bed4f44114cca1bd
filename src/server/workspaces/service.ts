import type { User } from '../auth/users.ts';
import { AppError, isAppError } from '../errors.ts';
import { isPersistenceError } from '../persistence/errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import type { Runtime } from '../runtime.ts';
import { createProject, INBOX } from '../tasks/projects.ts';
import {
  assertMayOwnAnother,
  deleteWorkspaceRow,
  insertWorkspace,
  type MyWorkspace,
  newWorkspaceId,
} from './workspaces.ts';

/**
 * Changes that touch the directory and a workspace object, in the order that keeps every state a
 * crash can leave harmless (docs/persistence.md lists them):
 * - creating: the workspace object first (If-None-Match: *), then the directory row that points to
 *   it. A crash in between leaves an object nobody can reach.
 * - deleting: the directory row first, then the object. A crash in between leaves the same.
 */

/** Creates a workspace's object (with its Inbox) under a fresh id; returns the id. */
export async function createWorkspaceObject(rt: Runtime): Promise<string> {
  const id = newWorkspaceId();
  const now = new Date();
  const lease = await rt.engine.createWorkspace(id, (db) => {
    createProject(db, INBOX, { now, isInbox: true });
  });
  lease.release();
  return id;
}

/**
 * After the directory write that would have pointed at `id` failed for sure (it was refused, or it
 * never reached the store): delete the object, best effort. When the write's outcome is unknown
 * the object may be in use, so it stays.
 */
export function discardWorkspaceObject(rt: Runtime, id: string, cause: unknown): void {
  const definite = isAppError(cause) || (isPersistenceError(cause) && !cause.outcomeUnknown);
  if (!definite) return;
  rt.engine.deleteWorkspace(id).catch((err: unknown) => {
    rt.log.warn('could not delete an unused workspace object (harmless: nothing points at it)', {
      workspace: id,
      err,
    });
  });
}

/**
 * The first half of creating a shared workspace: refuses early when this instance's copy already
 * says the owner is at their limit, then creates the object. The second half is
 * `insertSharedWorkspace`, in a directory write (and `discardWorkspaceObject` if that fails).
 */
export async function prepareSharedWorkspace(rt: Runtime, user: User): Promise<string> {
  rt.engine.directory.read((db) => assertMayOwnAnother(db, user.id, rt.config.quota.workspacesPerAccount));
  return createWorkspaceObject(rt);
}

/** The directory row of a shared workspace whose object `prepareSharedWorkspace` made. */
export function insertSharedWorkspace(
  db: Db,
  rt: Runtime,
  user: User,
  id: string,
  name: string,
): MyWorkspace {
  assertMayOwnAnother(db, user.id, rt.config.quota.workspacesPerAccount);
  return insertWorkspace(db, { id, name, personal: false, ownerId: user.id });
}

/** A new shared workspace owned by `user`: its object first, then its row (see the top of the file). */
export async function createWorkspace(rt: Runtime, user: User, name: string): Promise<MyWorkspace> {
  const id = await prepareSharedWorkspace(rt, user);
  try {
    const ws = await rt.engine.directory.write((db) => insertSharedWorkspace(db, rt, user, id, name));
    rt.log.info('workspace created', { workspace: id, userId: user.id });
    return ws;
  } catch (err) {
    discardWorkspaceObject(rt, id, err);
    throw err;
  }
}

/** Deletes a workspace (owners only; not the personal one): its directory row, then its object. */
export async function deleteWorkspace(rt: Runtime, user: User, workspaceId: string): Promise<void> {
  await rt.engine.directory.write((db) => deleteWorkspaceRow(db, workspaceId, user.id));
  await deleteWorkspaceObject(rt, workspaceId);
}

/**
 * The second half of deleting a workspace, once its row is gone: its object, best effort (nobody
 * can reach it any more; its versions stay in the bucket either way). Harmless to repeat.
 */
export async function deleteWorkspaceObject(rt: Runtime, workspaceId: string): Promise<void> {
  rt.log.info('workspace deleted', { workspace: workspaceId });
  try {
    await rt.engine.deleteWorkspace(workspaceId);
  } catch (err) {
    rt.log.warn('could not delete the object of a deleted workspace (harmless: nothing points at it)', {
      workspace: workspaceId,
      err,
    });
  }
}

/** AppError('not_found') for a workspace the request has not resolved (see the middleware). */
export function workspaceNotFound(): AppError {
  return new AppError('not_found', 'That workspace was not found.');
}
