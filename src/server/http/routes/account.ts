import { createHmac } from 'node:crypto';
import type { APIContext } from 'astro';
import {
  assertConfirmed,
  type DeletionPlan,
  deleteAccount,
  planAccountDeletion,
} from '../../account/deletion.ts';
import { logChanged, parsePasswordChange, preparePasswordChange } from '../../account/password.ts';
import { SESSION_COOKIE } from '../../auth/session.ts';
import { countSessions } from '../../auth/sessions.ts';
import { AppError } from '../../errors.ts';
import { apiRoute, readBody, sentBody, userOf } from '../api.ts';
import { idempotencyKeyOf, type KeyGuard, recordedAnswer, runOnce } from '../idempotency.ts';
import { json } from '../respond.ts';

/** `/api/account`: the signed-in account itself — who it is, its password, deleting it. */

function deletionView(plan: DeletionPlan) {
  return {
    deleted: plan.deleted.map((w) => ({
      id: w.id,
      name: w.name,
      personal: w.personal,
      otherMembers: w.otherMembers,
    })),
    kept: plan.kept.map((w) => ({ id: w.id, name: w.name, newOwner: w.newOwner?.email ?? null })),
  };
}

/** GET → {account: {id, email, createdAt, sessions}, deletion: {deleted, kept}} (what deleting it would do). */
export const getAccountRoute = apiRoute((ctx) => {
  const user = userOf(ctx);
  const { sessions, plan } = ctx.locals.rt.engine.directory.read((db) => ({
    sessions: countSessions(db, user.id),
    plan: planAccountDeletion(db, user),
  }));
  return json({
    account: { id: user.id, email: user.email, createdAt: user.createdAt, sessions },
    deletion: deletionView(plan),
  });
});

/**
 * POST {currentPassword, newPassword} → 204; every other session of the account ends, this one
 * stays. 400 on `currentPassword` when it is wrong (limited like logins: then 429).
 */
export const changePasswordRoute = apiRoute(async (ctx) => {
  const { rt, session } = ctx.locals;
  if (!session) throw new AppError('unauthorized', 'Log in first.');
  const change = parsePasswordChange(await readBody(ctx));
  const directory = rt.engine.directory;
  const guard = passwordGuard(ctx, session.user.id);
  // A repeat of a change that went through: its current password is no longer current.
  const prior = guard && directory.read((db) => recordedAnswer(db, guard));
  if (prior) return new Response(null, { status: prior.status, headers: { 'Idempotent-Replayed': 'true' } });
  const job = await preparePasswordChange(rt, session, change);
  const apply = (db: Parameters<typeof job>[0]) => {
    logChanged(rt, session.user.id, job(db));
    return { status: 204, body: null };
  };
  if (guard) await runOnce(directory, guard, apply);
  else await directory.write(apply);
  return new Response(null, { status: 204, headers: { 'Cache-Control': 'no-store' } });
});

/**
 * DELETE {email} (the account's own, typed to confirm) → 204 and the session cookie cleared: the
 * account, its personal workspace and the shared workspaces nobody else belongs to are deleted
 * (see GET for the list); the others stay with their members.
 */
export const deleteAccountRoute = apiRoute(async (ctx) => {
  const { rt, session } = ctx.locals;
  if (!session) throw new AppError('unauthorized', 'Log in first.');
  const body = await readBody(ctx);
  assertConfirmed(body.email, session.user);
  await deleteAccount(rt, session, undefined);
  ctx.cookies.delete(SESSION_COOKIE, { path: '/' });
  return new Response(null, { status: 204, headers: { 'Cache-Control': 'no-store' } });
});

/**
 * The Idempotency-Key guard of a password change. Its fingerprint is keyed with the server's
 * secret: the body holds two passwords, and a plain hash of it kept in the directory could be
 * guessed offline.
 */
function passwordGuard(ctx: APIContext, userId: number): KeyGuard | undefined {
  const key = idempotencyKeyOf(ctx.request);
  if (key === undefined) return undefined;
  const { rt } = ctx.locals;
  return {
    scope: `${userId}:api`,
    key,
    fingerprint: createHmac('sha256', rt.sessionKey())
      .update(`POST ${ctx.url.pathname}\n${sentBody(ctx)}`)
      .digest('base64url'),
    ttlHours: rt.config.idempotencyTtlHours,
  };
}
