import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { deleteAccountRows, planAccountDeletion } from '../../src/server/account/deletion.ts';
import { createSession } from '../../src/server/auth/sessions.ts';
import { createUser, type User } from '../../src/server/auth/users.ts';
import { migrate } from '../../src/server/db/migrate.ts';
import { directoryMigrations } from '../../src/server/db/migrations.ts';
import type { Db } from '../../src/server/persistence/sqlite-file.ts';
import { acceptInvitation, createInvitation } from '../../src/server/workspaces/invitations.ts';
import { insertWorkspace, listMembers, newWorkspaceId } from '../../src/server/workspaces/workspaces.ts';

function directory(): Db {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, directoryMigrations);
  return db;
}

let clock = Date.parse('2026-01-01T00:00:00.000Z');
const tick = () => {
  clock += 1000;
  return new Date(clock);
};

function person(db: Db, name: string): User {
  return createUser(db, `${name}@example.com`, 'hash', newWorkspaceId(), tick());
}

function shared(db: Db, owner: User, name: string, ...members: User[]): string {
  const id = newWorkspaceId();
  insertWorkspace(db, { id, name, personal: false, ownerId: owner.id }, tick());
  for (const m of members) {
    const inv = createInvitation(db, id, owner.id, m.email, tick());
    acceptInvitation(db, inv.id, m, tick());
  }
  return id;
}

describe('deleting an account', () => {
  it('plans: the personal workspace and those it is alone in go; the rest stay, with an owner', () => {
    const db = directory();
    const ann = person(db, 'ann');
    const bob = person(db, 'bob');
    const cat = person(db, 'cat');
    const alone = shared(db, ann, 'Alone');
    const team = shared(db, ann, 'Team', bob, cat);
    const bobs = shared(db, bob, 'Bob’s', ann);
    const plan = planAccountDeletion(db, ann);
    expect(plan.deleted).toEqual([
      { id: ann.personalWorkspaceId, name: 'Personal', personal: true, otherMembers: 0 },
      { id: alone, name: 'Alone', personal: false, otherMembers: 0 },
    ]);
    expect(plan.kept).toEqual([
      { id: bobs, name: 'Bob’s', newOwner: null },
      { id: team, name: 'Team', newOwner: { userId: bob.id, email: bob.email } },
    ]);
  });

  it('removes the rows in one go: the account, its sessions, the workspaces that go, invitations to it; promotes the heir', () => {
    const db = directory();
    const ann = person(db, 'ann');
    const bob = person(db, 'bob');
    const team = shared(db, ann, 'Team', bob);
    const alone = shared(db, ann, 'Alone');
    createSession(db, ann.id, 'session-hash', 3600);
    const other = person(db, 'other');
    const othersTeam = shared(db, other, 'Other');
    createInvitation(db, othersTeam, other.id, ann.email);
    const plan = deleteAccountRows(db, ann, [ann.personalWorkspaceId, alone]);
    expect(plan.deleted.map((w) => w.id)).toEqual([ann.personalWorkspaceId, alone]);
    const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    expect(count('SELECT count(*) AS n FROM users WHERE id = ?', ann.id)).toBe(0);
    expect(count('SELECT count(*) AS n FROM sessions WHERE user_id = ?', ann.id)).toBe(0);
    expect(count('SELECT count(*) AS n FROM memberships WHERE user_id = ?', ann.id)).toBe(0);
    expect(
      count('SELECT count(*) AS n FROM workspaces WHERE id IN (?, ?)', ann.personalWorkspaceId, alone),
    ).toBe(0);
    expect(count('SELECT count(*) AS n FROM invitations WHERE email = ?', ann.email)).toBe(0);
    expect(listMembers(db, team)).toEqual([{ userId: bob.id, email: bob.email, role: 'owner' }]);
  });

  it('refuses, changing nothing, when a workspace it did not announce would now go too', () => {
    const db = directory();
    const ann = person(db, 'ann');
    const bob = person(db, 'bob');
    const team = shared(db, ann, 'Team', bob);
    const announced = planAccountDeletion(db, ann).deleted.map((w) => w.id);
    // Bob leaves after the page was shown: Team would now go with the account.
    db.prepare('DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?').run(team, bob.id);
    const run = db.transaction(() => deleteAccountRows(db, ann, announced));
    expect(run).toThrow(/“Team” would now be deleted too/);
    expect(db.prepare('SELECT count(*) AS n FROM users WHERE id = ?').get(ann.id)).toEqual({ n: 1 });
  });

  it('never gives a deleted account’s id to a new one', () => {
    const db = directory();
    const first = person(db, 'first');
    const newest = person(db, 'newest');
    deleteAccountRows(db, newest);
    expect(person(db, 'later').id).toBe(newest.id + 1);
    deleteAccountRows(db, first);
    expect(person(db, 'again').id).toBe(newest.id + 2);
  });
});
