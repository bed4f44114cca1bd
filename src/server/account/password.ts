import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from '../auth/password.ts';
import { takeAttempt } from '../auth/rate-limit.ts';
import { type CurrentSession, hashUnlessBusy, rateLimited } from '../auth/service.ts';
import { deleteUserSessions } from '../auth/sessions.ts';
import { getPasswordHash, setPasswordHash } from '../auth/users.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../persistence/sqlite-file.ts';
import type { Runtime } from '../runtime.ts';

/**
 * Changing the password of the signed-in account. Someone holding a stolen session must not be
 * able to guess the password with it, nor keep a foothold after the owner changes it:
 *
 * 1. The current password is checked, and wrong guesses are limited per account exactly as
 *    login's are (CC_LOGIN_LIMIT_PER_ACCOUNT per CC_LOGIN_LIMIT_WINDOW_MS), counted before the
 *    hash in the same synchronous step as the check, so concurrent guesses cannot slip under it.
 * 2. Both hashes (checking the current password, hashing the new one) run through the instance's
 *    password-hash queue, before any write and outside every lock.
 * 3. One directory write stores the new hash and ends every other session of the account; the
 *    session that made the change stays. It is refused if the hash changed since it was checked
 *    (a second change from another window), so a password nobody verified is never replaced.
 */

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

/** Validates the form or JSON fields `currentPassword` and `newPassword`. */
export function parsePasswordChange(raw: Record<string, unknown>): PasswordChange {
  const current = raw.currentPassword;
  if (typeof current !== 'string' || current === '') {
    throw new AppError('invalid', 'Enter your current password.', { field: 'currentPassword' });
  }
  if (current.length > MAX_PASSWORD_LENGTH) throw wrongPassword();
  const next = raw.newPassword;
  if (typeof next !== 'string' || next.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('invalid', `New password must be at least ${MIN_PASSWORD_LENGTH} characters.`, {
      field: 'newPassword',
    });
  }
  if (next.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('invalid', `New password must be at most ${MAX_PASSWORD_LENGTH} characters.`, {
      field: 'newPassword',
    });
  }
  if (next === current) {
    throw new AppError('invalid', 'Choose a new password that differs from your current one.', {
      field: 'newPassword',
    });
  }
  return { currentPassword: current, newPassword: next };
}

/**
 * Checks the current password and prepares the new hash (see the top of the file). Returns the
 * directory job that applies the change — `job(db)` returns how many other sessions ended — so a
 * form can run it once per one-time token.
 */
export async function preparePasswordChange(
  rt: Runtime,
  session: CurrentSession,
  change: PasswordChange,
): Promise<(db: Db) => number> {
  const userId = session.user.id;
  const stored = rt.engine.directory.read((db) => getPasswordHash(db, userId));
  if (stored === null) throw new AppError('unauthorized', 'Your session has ended. Log in again.');
  const limiter = rt.limits.passwordChange;
  const key = String(userId);
  const counted = [[limiter, key]] as const;
  const wait = takeAttempt(counted);
  if (wait > 0) {
    rt.log.warn('password change rate limited', { userId });
    throw rateLimited('Too many wrong passwords', wait, 'currentPassword');
  }
  const ok = await hashUnlessBusy(rt, counted, () => verifyPassword(change.currentPassword, stored));
  if (!ok) throw wrongPassword();
  limiter.reset(key);
  const hash = await hashUnlessBusy(rt, [], () => hashPassword(change.newPassword));
  return (db) => {
    if (getPasswordHash(db, userId) !== stored) {
      throw new AppError(
        'conflict',
        'Your password was changed a moment ago (in another window?). Reload the page and try again.',
        { field: 'currentPassword' },
      );
    }
    setPasswordHash(db, userId, hash);
    return deleteUserSessions(db, userId, session.idHash);
  };
}

/** Changes the password in one directory write, ending every other session; returns how many ended. */
export async function changePassword(
  rt: Runtime,
  session: CurrentSession,
  change: PasswordChange,
): Promise<number> {
  const job = await preparePasswordChange(rt, session, change);
  const ended = await rt.engine.directory.write(job);
  logChanged(rt, session.user.id, ended);
  return ended;
}

export function logChanged(rt: Runtime, userId: number, sessionsEnded: number): void {
  rt.log.info('password changed', { userId, sessionsEnded });
}

function wrongPassword(): AppError {
  return new AppError('invalid', 'Your current password is not right.', { field: 'currentPassword' });
}
