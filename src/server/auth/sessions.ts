import type { Db } from '../persistence/sqlite-file.ts';

/**
 * Server-side sessions in the directory database: one row per signed-in browser or API client,
 * keyed by the SHA-256 of the session id (session.ts). Creating and deleting a session are
 * directory writes; checking one is a read of the copy every request revalidates anyway.
 */

export interface SessionRow {
  userId: number;
  createdAt: string;
  expiresAt: string;
}

/** Records a new session for `userId` that ends at the latest `maxAgeSeconds` from now; drops the user's expired ones. */
export function createSession(
  db: Db,
  userId: number,
  idHash: string,
  maxAgeSeconds: number,
  now: Date = new Date(),
): SessionRow {
  const createdAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + maxAgeSeconds * 1000).toISOString();
  db.prepare('DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?').run(userId, createdAt);
  db.prepare('INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
    idHash,
    userId,
    createdAt,
    expiresAt,
  );
  return { userId, createdAt, expiresAt };
}

/** The session with this id hash, unless it is gone or past its absolute lifetime. */
export function findSession(db: Db, idHash: string, now: Date = new Date()): SessionRow | null {
  const row = db
    .prepare(
      'SELECT user_id AS userId, created_at AS createdAt, expires_at AS expiresAt FROM sessions WHERE id_hash = ?',
    )
    .get(idHash) as SessionRow | undefined;
  if (!row || row.expiresAt <= now.toISOString()) return null;
  return row;
}

export function deleteSession(db: Db, idHash: string): void {
  db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
}

/** Ends every session of `userId` except `keepIdHash` (log out everywhere else). Returns how many ended. */
export function deleteUserSessions(db: Db, userId: number, keepIdHash?: string): number {
  const { changes } = db
    .prepare('DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?')
    .run(userId, keepIdHash ?? null);
  return changes;
}

/** How many live sessions `userId` has (for the account page). */
export function countSessions(db: Db, userId: number, now: Date = new Date()): number {
  return (
    db
      .prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ? AND expires_at > ?')
      .get(userId, now.toISOString()) as { n: number }
  ).n;
}
