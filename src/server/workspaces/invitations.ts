import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { getMyWorkspace, type MyWorkspace, requireOwner } from './workspaces.ts';

/**
 * Invitations to a workspace, by email, in the directory database. The invitee need not have an
 * account yet: whoever is signed in with that email sees the invitation and accepts or declines it.
 * Only the invitee can act on an invitation; to anyone else it does not exist (404).
 */

export interface Invitation {
  id: string;
  email: string;
  workspaceId: string;
  createdAt: string;
}

/** An invitation as its invitee sees it. */
export interface MyInvitation {
  id: string;
  workspaceId: string;
  workspaceName: string;
  /** The inviter's email, or null when their account is gone. */
  invitedBy: string | null;
  createdAt: string;
}

interface InvitationRow {
  id: string;
  email: string;
  workspace_id: string;
  workspace_name: string;
  invited_by: string | null;
  created_at: string;
}

/** Invites `email` into the workspace (owners only). Inviting the same email twice returns the first invitation. */
export function createInvitation(
  db: Db,
  workspaceId: string,
  actorId: number,
  email: string,
  now: Date = new Date(),
): Invitation {
  requireOwner(db, workspaceId, actorId, 'invite people');
  const member = db
    .prepare(
      `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.workspace_id = ? AND u.email = ?`,
    )
    .get(workspaceId, email);
  if (member)
    throw new AppError('conflict', `${email} is already a member of this workspace.`, { field: 'email' });
  const existing = db
    .prepare(
      'SELECT id, email, workspace_id, created_at FROM invitations WHERE workspace_id = ? AND email = ?',
    )
    .get(workspaceId, email) as InvitationRow | undefined;
  if (existing) return toInvitation(existing);
  const id = randomBytes(16).toString('base64url');
  const at = now.toISOString();
  db.prepare(
    'INSERT INTO invitations (id, workspace_id, email, invited_by, created_at) VALUES (?, ?, ?, ?, ?)',
  ).run(id, workspaceId, email, actorId, at);
  return { id, email, workspaceId, createdAt: at };
}

/** The pending invitations of a workspace (for its owners' members page). */
export function listWorkspaceInvitations(db: Db, workspaceId: string): Invitation[] {
  const rows = db
    .prepare(
      'SELECT id, email, workspace_id, created_at FROM invitations WHERE workspace_id = ? ORDER BY created_at',
    )
    .all(workspaceId) as InvitationRow[];
  return rows.map(toInvitation);
}

/** The invitations waiting for `email`, newest first. */
export function listMyInvitations(db: Db, email: string): MyInvitation[] {
  const rows = db
    .prepare(
      `SELECT i.id, i.workspace_id, w.name AS workspace_name, u.email AS invited_by, i.created_at
       FROM invitations i
       JOIN workspaces w ON w.id = i.workspace_id
       LEFT JOIN users u ON u.id = i.invited_by
       WHERE i.email = ?
       ORDER BY i.created_at DESC, i.id`,
    )
    .all(email) as InvitationRow[];
  return rows.map((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    workspaceName: r.workspace_name,
    invitedBy: r.invited_by,
    createdAt: r.created_at,
  }));
}

/** Accepts an invitation addressed to `user`: they become a member. Anyone else's is not_found. */
export function acceptInvitation(
  db: Db,
  invitationId: string,
  user: { id: number; email: string },
  now: Date = new Date(),
): MyWorkspace {
  const inv = mine(db, invitationId, user.email);
  db.prepare('DELETE FROM invitations WHERE id = ?').run(inv.id);
  const already = getMyWorkspace(db, inv.workspace_id, user.id);
  if (already) return already;
  db.prepare(
    "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?, ?, 'member', ?)",
  ).run(inv.workspace_id, user.id, now.toISOString());
  return getMyWorkspace(db, inv.workspace_id, user.id) as MyWorkspace;
}

export function declineInvitation(db: Db, invitationId: string, user: { email: string }): void {
  const inv = mine(db, invitationId, user.email);
  db.prepare('DELETE FROM invitations WHERE id = ?').run(inv.id);
}

/** Withdraws a pending invitation (owners only). */
export function revokeInvitation(db: Db, workspaceId: string, invitationId: string, actorId: number): void {
  requireOwner(db, workspaceId, actorId, 'withdraw invitations');
  const { changes } = db
    .prepare('DELETE FROM invitations WHERE id = ? AND workspace_id = ?')
    .run(invitationId, workspaceId);
  if (changes === 0) throw new AppError('not_found', 'That invitation was not found.');
}

function mine(db: Db, invitationId: string, email: string): InvitationRow {
  const row = db
    .prepare('SELECT id, email, workspace_id, created_at FROM invitations WHERE id = ? AND email = ?')
    .get(invitationId, email) as InvitationRow | undefined;
  if (!row) throw new AppError('not_found', 'That invitation was not found (or is not addressed to you).');
  return row;
}

function toInvitation(r: InvitationRow): Invitation {
  return { id: r.id, email: r.email, workspaceId: r.workspace_id, createdAt: r.created_at };
}
