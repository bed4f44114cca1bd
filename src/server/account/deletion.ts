import type { CurrentSession } from '../auth/service.ts';
import { retireUserId, type User } from '../auth/users.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import type { Runtime } from '../runtime.ts';
import { deleteWorkspaceObject } from '../workspaces/service.ts';

/**
 * Deleting an account, with what it owns. Ordered like deleting a workspace (docs/persistence.md,
 * "Changes that touch two objects"), so a crash leaves nothing anyone can see broken:
 *
 * 1. One directory write, all or nothing: the account's row goes, and with it its sessions and
 *    memberships; its personal workspace and every shared workspace nobody else belongs to (their
 *    memberships and invitations with them); the invitations addressed to its email; its
 *    idempotency keys. Where it was the last owner of a workspace others belong to, the member who
 *    joined first becomes the owner, so every workspace that stays has one. Its id is retired, so
 *    no later account is ever given it (users.ts).
 * 2. Then the objects of the deleted workspaces, best effort (a delete marker: their versions stay
 *    in the bucket, as for any deleted workspace). A crash before they are gone leaves objects
 *    nobody points at — harmless, listed as unreferenced by `npm run db -- list`. If the write's
 *    answer was lost, the next request finds no session (the account is gone) or finds the account
 *    whole and may delete it again.
 *
 * The page says beforehand which workspaces go; it sends their ids back, and the write refuses
 * (409) if by then another one would go too (its last other member left meanwhile), so nothing is
 * deleted that the person was not told about.
 */

export interface DeletedWorkspace {
  id: string;
  name: string;
  personal: boolean;
  /** Other people who belong to it (they lose it too; only the personal workspace can have any). */
  otherMembers: number;
}

export interface KeptWorkspace {
  id: string;
  name: string;
  /** The member who becomes its owner, when the account was its last owner. */
  newOwner: { userId: number; email: string } | null;
}

/** What deleting an account does to the workspaces it belongs to. */
export interface DeletionPlan {
  deleted: DeletedWorkspace[];
  kept: KeptWorkspace[];
}

interface MembershipRow {
  id: string;
  name: string;
  role: 'owner' | 'member';
  others: number;
  other_owners: number;
}

/** What deleting `user` would do right now, read from the directory `db`. */
export function planAccountDeletion(db: Db, user: User): DeletionPlan {
  const rows = db
    .prepare(
      `SELECT w.id, w.name, m.role,
              (SELECT count(*) FROM memberships o WHERE o.workspace_id = w.id AND o.user_id != m.user_id) AS others,
              (SELECT count(*) FROM memberships o WHERE o.workspace_id = w.id AND o.user_id != m.user_id
                 AND o.role = 'owner') AS other_owners
       FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
       WHERE m.user_id = ?
       ORDER BY w.personal DESC, w.name COLLATE NOCASE, w.id`,
    )
    .all(user.id) as MembershipRow[];
  const plan: DeletionPlan = { deleted: [], kept: [] };
  for (const r of rows) {
    const personal = r.id === user.personalWorkspaceId;
    if (personal || r.others === 0) {
      plan.deleted.push({ id: r.id, name: r.name, personal, otherMembers: r.others });
    } else {
      const heir = r.role === 'owner' && r.other_owners === 0 ? firstOtherMember(db, r.id, user.id) : null;
      plan.kept.push({ id: r.id, name: r.name, newOwner: heir });
    }
  }
  return plan;
}

/**
 * The confirmation a deletion needs: the account's email, typed (compared as stored: NFC, trimmed,
 * any case). AppError('invalid') on `email` otherwise.
 */
export function assertConfirmed(raw: unknown, user: User): void {
  const typed = typeof raw === 'string' ? raw.normalize('NFC').trim().toLowerCase() : '';
  if (typed === '') {
    throw new AppError('invalid', `Type your email address, ${user.email}, to confirm.`, { field: 'email' });
  }
  if (typed !== user.email.toLowerCase()) {
    throw new AppError('invalid', `That is not your email address. Type ${user.email} to confirm.`, {
      field: 'email',
    });
  }
}

/**
 * Step 1 (see the top of the file), inside a directory write. `announced`: the ids of the
 * workspaces the person was told would go; any other that would go now is a conflict.
 */
export function deleteAccountRows(db: Db, user: User, announced?: readonly string[]): DeletionPlan {
  if (!db.prepare('SELECT 1 FROM users WHERE id = ?').get(user.id)) {
    throw new AppError('unauthorized', 'Your session has ended. Log in again.');
  }
  const plan = planAccountDeletion(db, user);
  if (announced) {
    const surprise = plan.deleted.filter((w) => !announced.includes(w.id));
    if (surprise.length > 0) {
      const names = surprise.map((w) => `“${w.name}”`).join(', ');
      throw new AppError(
        'conflict',
        `${names} would now be deleted too (nobody else belongs to it any more). Nothing was deleted: read the list again and confirm.`,
      );
    }
  }
  for (const w of plan.kept) {
    if (w.newOwner === null) continue;
    db.prepare("UPDATE memberships SET role = 'owner' WHERE workspace_id = ? AND user_id = ?").run(
      w.id,
      w.newOwner.userId,
    );
  }
  const dropWorkspace = db.prepare('DELETE FROM workspaces WHERE id = ?');
  for (const w of plan.deleted) dropWorkspace.run(w.id);
  db.prepare('DELETE FROM invitations WHERE email = ?').run(user.email);
  // Scopes are `<user id>:<source>`; ';' sorts right after ':', so this is every scope of this id.
  db.prepare('DELETE FROM idempotency_keys WHERE scope >= ? AND scope < ?').run(`${user.id}:`, `${user.id};`);
  db.prepare('DELETE FROM users WHERE id = ?').run(user.id);
  retireUserId(db, user.id);
  return plan;
}

/**
 * Deletes the signed-in account (see the top of the file): its directory rows in one write, then
 * the objects of the workspaces that went with it. Returns what was done.
 */
export async function deleteAccount(
  rt: Runtime,
  session: CurrentSession,
  announced?: readonly string[],
): Promise<DeletionPlan> {
  const { user } = session;
  const plan = await rt.engine.directory.write((db) => deleteAccountRows(db, user, announced));
  rt.log.info('account deleted', {
    userId: user.id,
    workspacesDeleted: plan.deleted.map((w) => w.id),
    workspacesKept: plan.kept.map((w) => w.id),
  });
  await Promise.all(plan.deleted.map((w) => deleteWorkspaceObject(rt, w.id)));
  return plan;
}

/** Another member of the workspace, the one who joined first (the owner-to-be). */
function firstOtherMember(
  db: Db,
  workspaceId: string,
  userId: number,
): { userId: number; email: string } | null {
  const row = db
    .prepare(
      `SELECT u.id AS userId, u.email FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.workspace_id = ? AND m.user_id != ?
       ORDER BY m.created_at, m.user_id LIMIT 1`,
    )
    .get(workspaceId, userId) as { userId: number; email: string } | undefined;
  return row ?? null;
}
