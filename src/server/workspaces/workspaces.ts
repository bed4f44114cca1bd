import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';

/**
 * Workspaces and who belongs to them, in the directory database. A workspace is the unit of
 * sharing and of storage: its projects and tasks live in their own object (engine.workspace(id)).
 * Every function takes the directory's db; none touches a workspace object (service.ts orders the
 * cross-object changes).
 */

export type Role = 'owner' | 'member';

export interface Workspace {
  id: string;
  name: string;
  /** The one created with the account: it cannot be deleted, and its owner cannot leave it. */
  personal: boolean;
  createdAt: string;
}

/** A workspace as one of its members sees it. */
export interface MyWorkspace extends Workspace {
  role: Role;
}

export interface Member {
  userId: number;
  email: string;
  role: Role;
}

export const WORKSPACE_NAME_MAX = 80;
export const PERSONAL_NAME = 'Personal';

interface WorkspaceRow {
  id: string;
  name: string;
  personal: number;
  created_at: string;
  role?: Role;
}

function toWorkspace(r: WorkspaceRow): Workspace {
  return { id: r.id, name: r.name, personal: r.personal === 1, createdAt: r.created_at };
}

/** A fresh random workspace id: 16 bytes, URL-safe (22 characters), unguessable. */
export function newWorkspaceId(): string {
  return randomBytes(16).toString('base64url');
}

/** Whether `s` has the shape of a workspace id (ids come from URLs: check before any lookup). */
export function isWorkspaceId(s: string | undefined): s is string {
  return s !== undefined && /^[A-Za-z0-9_-]{22}$/.test(s);
}

export function parseWorkspaceName(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new AppError('invalid', 'Workspace name is required.', { field: 'name' });
  }
  const name = v.trim().normalize('NFC');
  if ([...name].length > WORKSPACE_NAME_MAX) {
    throw new AppError('invalid', `Workspace name must be at most ${WORKSPACE_NAME_MAX} characters.`, {
      field: 'name',
    });
  }
  return name;
}

/** The workspaces `userId` belongs to: the personal one first, then by name. */
export function listMyWorkspaces(db: Db, userId: number): MyWorkspace[] {
  const rows = db
    .prepare(
      `SELECT w.id, w.name, w.personal, w.created_at, m.role
       FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
       WHERE m.user_id = ?
       ORDER BY w.personal DESC, w.name COLLATE NOCASE, w.id`,
    )
    .all(userId) as WorkspaceRow[];
  return rows.map((r) => ({ ...toWorkspace(r), role: r.role as Role }));
}

/**
 * The workspace as `userId` sees it, or null when it does not exist or they are not a member — the
 * two are indistinguishable on purpose (the API answers 404 for both).
 */
export function getMyWorkspace(db: Db, workspaceId: string, userId: number): MyWorkspace | null {
  const row = db
    .prepare(
      `SELECT w.id, w.name, w.personal, w.created_at, m.role
       FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
       WHERE m.workspace_id = ? AND m.user_id = ?`,
    )
    .get(workspaceId, userId) as WorkspaceRow | undefined;
  return row ? { ...toWorkspace(row), role: row.role as Role } : null;
}

/** Like getMyWorkspace, but a missing membership is AppError('not_found'). */
export function requireMyWorkspace(db: Db, workspaceId: string, userId: number): MyWorkspace {
  const ws = getMyWorkspace(db, workspaceId, userId);
  if (!ws) throw notFound(workspaceId);
  return ws;
}

/** How many workspaces `userId` owns (the personal one included). */
export function countOwnedWorkspaces(db: Db, userId: number): number {
  return (
    db.prepare("SELECT count(*) AS n FROM memberships WHERE user_id = ? AND role = 'owner'").get(userId) as {
      n: number;
    }
  ).n;
}

/** Throws AppError('quota_exceeded') when `userId` already owns `limit` workspaces. */
export function assertMayOwnAnother(db: Db, userId: number, limit: number): void {
  if (countOwnedWorkspaces(db, userId) >= limit) {
    throw new AppError(
      'quota_exceeded',
      `You own ${limit} workspaces, the most one account may own. Delete one to make another.`,
      { field: 'name' },
    );
  }
}

/** Records a workspace whose object already exists, with `ownerId` as its owner. */
export function insertWorkspace(
  db: Db,
  ws: { id: string; name: string; personal: boolean; ownerId: number },
  now: Date = new Date(),
): MyWorkspace {
  const at = now.toISOString();
  db.prepare(
    'INSERT INTO workspaces (id, name, personal, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(ws.id, ws.name, ws.personal ? 1 : 0, ws.ownerId, at, at);
  db.prepare(
    "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)",
  ).run(ws.id, ws.ownerId, at);
  return { id: ws.id, name: ws.name, personal: ws.personal, createdAt: at, role: 'owner' };
}

export function renameWorkspace(
  db: Db,
  workspaceId: string,
  userId: number,
  name: string,
  now: Date = new Date(),
): MyWorkspace {
  const ws = requireOwner(db, workspaceId, userId, 'rename it');
  if (ws.name === name) return ws;
  db.prepare('UPDATE workspaces SET name = ?, updated_at = ? WHERE id = ?').run(
    name,
    now.toISOString(),
    workspaceId,
  );
  return { ...ws, name };
}

/**
 * Removes the workspace's rows (memberships and invitations go with it). Its object is deleted
 * after this is acknowledged (service.ts): a crash in between leaves an object nobody can reach.
 */
export function deleteWorkspaceRow(db: Db, workspaceId: string, userId: number): Workspace {
  const ws = requireOwner(db, workspaceId, userId, 'delete it');
  if (ws.personal) {
    throw new AppError('invalid', 'Your personal workspace cannot be deleted.', { field: 'workspace' });
  }
  db.prepare('DELETE FROM workspaces WHERE id = ?').run(workspaceId);
  return ws;
}

export function listMembers(db: Db, workspaceId: string): Member[] {
  const rows = db
    .prepare(
      `SELECT u.id AS userId, u.email, m.role
       FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.workspace_id = ?
       ORDER BY m.role = 'owner' DESC, u.email`,
    )
    .all(workspaceId) as Member[];
  return rows;
}

/**
 * Takes `targetId` out of the workspace: an owner removes anyone, anyone removes themself (leaves).
 * The last owner can neither leave nor be removed, so a workspace always has an owner.
 */
export function removeMember(db: Db, workspaceId: string, actorId: number, targetId: number): void {
  const actor = requireMyWorkspace(db, workspaceId, actorId);
  const target = db
    .prepare('SELECT role FROM memberships WHERE workspace_id = ? AND user_id = ?')
    .get(workspaceId, targetId) as { role: Role } | undefined;
  if (!target) throw new AppError('not_found', `User ${targetId} is not a member of this workspace.`);
  if (actorId !== targetId && actor.role !== 'owner') {
    throw new AppError('forbidden', 'Only an owner can remove other members.');
  }
  if (target.role === 'owner') {
    const owners = db
      .prepare("SELECT count(*) AS n FROM memberships WHERE workspace_id = ? AND role = 'owner'")
      .get(workspaceId) as { n: number };
    if (owners.n <= 1) {
      throw new AppError(
        'conflict',
        actorId === targetId
          ? 'You are the last owner: you cannot leave this workspace (delete it instead).'
          : 'The last owner cannot be removed.',
      );
    }
  }
  db.prepare('DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?').run(workspaceId, targetId);
}

/** Emails of the directory's users by id (members and former members alike), for "created by". */
export function userEmails(db: Db, ids: Iterable<number | null>): Map<number, string> {
  const wanted = [...new Set([...ids].filter((id): id is number => id !== null))];
  const out = new Map<number, string>();
  const get = db.prepare('SELECT email FROM users WHERE id = ?');
  for (const id of wanted) {
    const row = get.get(id) as { email: string } | undefined;
    if (row) out.set(id, row.email);
  }
  return out;
}

export function requireOwner(db: Db, workspaceId: string, userId: number, toDo: string): MyWorkspace {
  const ws = requireMyWorkspace(db, workspaceId, userId);
  if (ws.role !== 'owner') throw new AppError('forbidden', `Only an owner of this workspace can ${toDo}.`);
  return ws;
}

function notFound(workspaceId: string): AppError {
  return new AppError('not_found', `Workspace ${workspaceId} was not found.`);
}
