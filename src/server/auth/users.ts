import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import { hasHiddenCharacters } from '../text.ts';
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

/** The loose shape every stored address has had: something@something.something, no spaces. */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
/** Local part: no spaces, quotes, brackets or separators (the quoted forms RFC 5322 allows are not plausible here). */
const LOCAL_PART = /^[^\s"(),:;<>@[\\\]]{1,64}$/u;
/** A domain label: letters (any script), digits and inner hyphens. */
const DOMAIN_LABEL = /^[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?$/u;
/** A top-level domain: two letters or more, or its punycode form. */
const TOP_LEVEL = /^(?:[\p{L}\p{M}]{2,63}|xn--[a-z0-9-]{1,59})$/u;

/**
 * The email to look an account up by: NFC, trimmed, lower-cased, roughly the shape of an address.
 * Deliberately looser than parseNewEmail, so an account made under older rules can still log in.
 */
export function parseEmail(v: unknown): string {
  const email = normaliseEmail(v);
  if (email.length > 254 || !EMAIL_SHAPE.test(email) || hasHiddenCharacters(email)) throw notAnEmail();
  return email;
}

/**
 * The email for a new account: as parseEmail, and a plausible address — one `@`, a local part of
 * at most 64 characters without dots at its ends or in a row, a domain of at least two labels that
 * ends in a real-looking top-level domain. Internationalised addresses are welcome.
 */
export function parseNewEmail(v: unknown): string {
  const email = parseEmail(v);
  const [local = '', domain = '', ...rest] = email.split('@');
  const labels = domain.split('.');
  const plausible =
    rest.length === 0 &&
    LOCAL_PART.test(local) &&
    !/^\.|\.$|\.\./.test(local) &&
    domain.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => DOMAIN_LABEL.test(l)) &&
    TOP_LEVEL.test(labels.at(-1) ?? '');
  if (!plausible) throw notAnEmail();
  return email;
}

function normaliseEmail(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new AppError('invalid', 'Email is required.', { field: 'email' });
  }
  return v.normalize('NFC').trim().toLowerCase();
}

function notAnEmail(): AppError {
  return new AppError('invalid', 'Enter an email address like name@example.com.', { field: 'email' });
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
  const id = nextUserId(db);
  db.prepare(
    'INSERT INTO users (id, email, password_hash, personal_workspace_id, created_at) VALUES (?, ?, ?, ?, ?)',
  ).run(id, email, passwordHash, personalWorkspaceId, now.toISOString());
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

/** `meta` key of the highest id a deleted account had (see nextUserId). */
const RETIRED_UP_TO = 'retired_user_ids_up_to';

/**
 * The id for a new account: past every id in use and every id a deleted account had. SQLite
 * would otherwise hand out the id of the newest account again once it is deleted, and the tasks
 * that account made in workspaces that outlive it (where `created_by` is its id) would show as
 * made by a stranger who signed up later.
 */
function nextUserId(db: Db): number {
  const row = db
    .prepare(
      `SELECT max(coalesce((SELECT max(id) FROM users), 0),
                  coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), 0)) + 1 AS id`,
    )
    .get(RETIRED_UP_TO) as { id: number };
  return row.id;
}

/** Records that `id` belonged to a deleted account, so that no new account is ever given it. */
export function retireUserId(db: Db, id: number): void {
  db.prepare(
    `INSERT INTO meta (key, value) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET value = CAST(max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)`,
  ).run(RETIRED_UP_TO, String(id));
}

/** The stored password hash of account `id`, or null when the account is gone. */
export function getPasswordHash(db: Db, id: number): string | null {
  const row = db.prepare('SELECT password_hash FROM users WHERE id = ?').get(id) as
    | { password_hash: string }
    | undefined;
  return row?.password_hash ?? null;
}

export function setPasswordHash(db: Db, id: number, passwordHash: string): void {
  db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id);
}
