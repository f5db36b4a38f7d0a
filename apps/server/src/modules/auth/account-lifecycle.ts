import { verify } from '@node-rs/argon2';
import { sql, type Kysely } from 'kysely';
import type { ChangePassword, PlatformAccount } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { withControl, type ControlTables } from '../../platform/db/index.js';
import { AppError, conflict, notFound, problemType, validationFailed } from '../../platform/errors.js';
import { revokeAccountTokens } from './account-links.js';
import { accountCaller, auditAccount, endAllSessions, type Origin } from './account-sessions.js';
import { findLocalUserByEmail, findLocalUserById, hashPassword, type LocalUser } from './local-users.js';
import type { LoginThrottle } from './login-throttle.js';
import { describePasswordProblems, passwordProblems } from './password-policy.js';

/** Who asks: the verified subject and issuer of the request's token. */
export type AccountActor = { subject: string; issuer: string; name: string };

/** The sign-in throttle refused the attempt: wait `waitS` seconds (the route sends Retry-After). */
export class TooManyAttempts extends AppError {
  constructor(readonly waitS: number) {
    super(429, problemType('too-many-attempts'), 'Too many attempts', `Too many failed attempts. Try again in ${waitS} seconds.`);
  }
}

/** The caller's own account in the embedded provider (a token of another issuer has none here). */
export async function ownAccount(db: Kysely<ControlTables>, actor: AccountActor, embeddedIssuer: string): Promise<LocalUser> {
  const user = actor.issuer === embeddedIssuer ? await findLocalUserById(db, actor.subject) : undefined;
  if (!user?.active) throw notFound('account', undefined);
  return user;
}

/**
 * Changes the caller's password: the current one is required (a wrong one counts toward the
 * sign-in throttle, like a failed sign-in) and the new one must pass the policy. Open reset links
 * end with it. Sessions stay (the account page offers "sign out everywhere" next to it).
 */
export async function changeOwnPassword(
  db: Kysely<ControlTables>,
  throttle: LoginThrottle,
  user: LocalUser,
  origin: Origin & { ip: string },
  input: ChangePassword,
): Promise<void> {
  const wait = await throttle.attempt(user.email, origin.ip);
  if (wait > 0) throw new TooManyAttempts(wait);
  const ok = user.password_hash ? await verify(user.password_hash, input.currentPassword).catch(() => false) : false;
  if (!ok) throw validationFailed('the current password is wrong', [{ field: 'currentPassword', message: 'wrong password' }]);
  await throttle.succeeded(user.email, origin.ip);
  const problems = passwordProblems(input.newPassword, { email: user.email });
  if (problems.length > 0)
    throw validationFailed('the new password is too weak', [{ field: 'newPassword', message: describePasswordProblems(problems) }]);
  if (input.newPassword === input.currentPassword)
    throw validationFailed('the new password is the current one', [
      { field: 'newPassword', message: 'choose a password you do not use now' },
    ]);
  const passwordHash = await hashPassword(input.newPassword);
  await withControl(db, async (tx) => {
    await tx
      .updateTable('control.local_users')
      .set({ password_hash: passwordHash, updated_at: sql<Date>`now()` })
      .where('id', '=', user.id)
      .execute();
    await revokeAccountTokens(tx, user.id, ['reset']);
  });
  await auditAccount(db, user.tenant_slug, accountCaller(user, origin), [
    { action: 'account.password_changed', entityType: 'account', entityId: user.id, after: { email: user.email } },
  ]);
}

/** Signs the caller out of every session (this one included). */
export async function signOutEverywhere(db: Kysely<ControlTables>, user: LocalUser, origin: Origin): Promise<number> {
  const ended = await endAllSessions(db, user.id, 'signed_out_everywhere');
  await auditAccount(db, user.tenant_slug, accountCaller(user, origin), [
    { action: 'session.signed_out_everywhere', entityType: 'account', entityId: user.id, after: { sessions: ended } },
  ]);
  return ended;
}

const platformView = (user: LocalUser): PlatformAccount => ({
  id: user.id,
  email: user.email,
  name: user.name,
  tenantSlug: user.tenant_slug,
  roles: user.roles,
  active: user.active,
  hasPassword: user.password_hash !== null,
});

/** The platform operator looks an account up by e-mail. */
export async function findAccountForOperator(db: Kysely<ControlTables>, email: string): Promise<PlatformAccount> {
  const user = await findLocalUserByEmail(db, email);
  if (!user) throw notFound('account', email);
  return platformView(user);
}

const operatorCaller = (operator: AccountActor, origin: Origin, tenantSlug: string): Caller => ({
  kind: 'user',
  subject: operator.subject,
  name: operator.name,
  roles: ['operator'],
  tenantSlug,
  requestId: null,
  sourceIp: origin.ip,
  userAgent: origin.userAgent?.slice(0, 500) ?? null,
});

/**
 * The platform operator deactivates or reactivates an account (sign-in, for any organisation or
 * another operator). Deactivating ends every session and refresh token at once; the account's
 * access tokens stop being honoured. The change is audited in the account's tenant trail.
 */
export async function setAccountActive(
  db: Kysely<ControlTables>,
  operator: AccountActor,
  origin: Origin,
  input: { id: string; active: boolean },
): Promise<PlatformAccount> {
  if (input.id === operator.subject && !input.active)
    throw conflict('you cannot deactivate your own account', [{ field: 'id', message: 'ask another operator' }]);
  const before = await findLocalUserById(db, input.id);
  if (!before) throw notFound('account', input.id);
  const after = await db
    .updateTable('control.local_users')
    .set({ active: input.active, updated_at: sql<Date>`now()` })
    .where('id', '=', input.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const ended = input.active ? 0 : await endAllSessions(db, input.id, 'deactivated');
  if (before.active !== input.active && after.tenant_slug) {
    await auditAccount(db, after.tenant_slug, operatorCaller(operator, origin, after.tenant_slug), [
      {
        action: input.active ? 'account.reactivated' : 'account.deactivated',
        entityType: 'account',
        entityId: after.id,
        before: { active: before.active },
        after: { active: after.active, email: after.email, ...(input.active ? {} : { sessionsEnded: ended }) },
      },
    ]);
  }
  return platformView(after);
}

/** The platform operator signs an account out of every session. */
export async function forceSignOutAccount(db: Kysely<ControlTables>, operator: AccountActor, origin: Origin, id: string): Promise<number> {
  const user = await findLocalUserById(db, id);
  if (!user) throw notFound('account', id);
  const ended = await endAllSessions(db, user.id, 'forced');
  if (user.tenant_slug) {
    await auditAccount(db, user.tenant_slug, operatorCaller(operator, origin, user.tenant_slug), [
      { action: 'session.forced_sign_out', entityType: 'account', entityId: user.id, after: { email: user.email, sessions: ended } },
    ]);
  }
  return ended;
}
