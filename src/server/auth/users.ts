import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { insertWorkspace, PERSONAL_NAME } from '../workspaces/workspaces.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password.ts';

export interface User {
  id: number;
  email: string;
  createdAt: string;
  /** The workspace created with the account (where `/` and `/api/tasks` lead). */
  personalWorkspaceId: string;
}

interface UserRow {
  id: number;
  email: string;
  password_hash: string;
  personal_workspace_id: string;
  created_at: string;
}

const USER_COLUMNS = 'id, email, password_hash, personal_workspace_id, created_at';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    createdAt: row.created_at,
    personalWorkspaceId: row.personal_workspace_id,
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A trimmed, lower-cased email, or AppError('invalid', field 'email'). */
export function parseEmail(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new AppError('invalid', 'Email is required.', { field: 'email' });
  const email = v.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new AppError('invalid', 'Enter an email address like name@example.com.', { field: 'email' });
  }
  return email;
}

export function parseNewPassword(v: unknown): string {
  if (typeof v !== 'string' || v.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('invalid', `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`, {
      field: 'password',
    });
  }
  if (v.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('invalid', `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`, {
      field: 'password',
    });
  }
  return v;
}

export function parsePassword(v: unknown): string {
  if (typeof v !== 'string' || v === '')
    throw new AppError('invalid', 'Password is required.', { field: 'password' });
  if (v.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('invalid', `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`, {
      field: 'password',
    });
  }
  return v;
}

/**
 * Creates the account in the directory, with its personal workspace's row and owner membership.
 * The workspace's object (with its Inbox) must already exist: service.ts creates it first, so the
 * row never points at nothing. AppError('conflict') when the email is taken (any case).
 */
export function createUser(
  db: Db,
  email: string,
  passwordHash: string,
  personalWorkspaceId: string,
  now: Date = new Date(),
): User {
  if (emailTaken(db, email)) {
    throw new AppError('conflict', 'An account with this email already exists. Log in instead.', {
      field: 'email',
    });
  }
  const { lastInsertRowid } = db
    .prepare(
      'INSERT INTO users (email, password_hash, personal_workspace_id, created_at) VALUES (?, ?, ?, ?)',
    )
    .run(email, passwordHash, personalWorkspaceId, now.toISOString());
  const id = Number(lastInsertRowid);
  insertWorkspace(db, { id: personalWorkspaceId, name: PERSONAL_NAME, personal: true, ownerId: id }, now);
  return { id, email, createdAt: now.toISOString(), personalWorkspaceId };
}

export function emailTaken(db: Db, email: string): boolean {
  return db.prepare('SELECT 1 FROM users WHERE email = ?').get(email) !== undefined;
}

export function getUserById(db: Db, id: number): User | null {
  const row = db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(id) as UserRow | undefined;
  return row ? toUser(row) : null;
}

/** The user and their password hash, for logging in. Email comparison ignores case. */
export function getUserCredentials(db: Db, email: string): (User & { passwordHash: string }) | null {
  const row = db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`).get(email) as
    | UserRow
    | undefined;
  return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
}
