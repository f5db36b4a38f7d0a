import { sql, type Kysely } from 'kysely';
import { MAX_SESSIONS_PER_ACCOUNT, type AccountSession } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { withControl, withTenant, type ControlTables } from '../../platform/db/index.js';
import { recordAuditBatch, type AuditEntry } from '../audit/index.js';
import type { AccountSessionEndReason } from './auth.tables.js';
import { announceEndedGrants } from './ended-grants.js';
import { findLocalUserByEmail, findLocalUserById, type LocalUser } from './local-users.js';

/** Where a sign-in event comes from: the browser's address and User-Agent. */
export type Origin = { ip: string | null; userAgent: string | null };

const shorten = (value: string | null | undefined, max: number): string | null => (value ? value.slice(0, max) : null);

/** The person themself as the audit trail's actor. */
export function accountCaller(user: Pick<LocalUser, 'id' | 'name' | 'roles' | 'tenant_slug'>, origin: Origin): Caller {
  return {
    kind: 'user',
    subject: user.id,
    name: user.name,
    roles: user.roles,
    tenantSlug: user.tenant_slug ?? '',
    requestId: null,
    sourceIp: origin.ip,
    userAgent: shorten(origin.userAgent, 500),
  };
}

/**
 * Appends events to the trail of the account's tenant (an operator account has none: nothing is
 * recorded there; the server log keeps what the caller logs).
 */
export async function auditAccount(
  db: Kysely<ControlTables>,
  tenantSlug: string | null,
  caller: Caller,
  entries: AuditEntry[],
): Promise<void> {
  if (!tenantSlug || entries.length === 0) return;
  await withTenant(db, tenantSlug, (tx) => recordAuditBatch(tx, { ...caller, tenantSlug }, entries));
}

type Ended = { id: string; grant_id: string; user_id: string; tenant_slug: string | null; user_agent: string | null };

/**
 * Deletes the provider's state of these sign-ins (session, grant, refresh tokens, codes) and marks
 * them ended. With `everything`, every provider record of the account goes, including sessions that
 * were never listed. Verifiers of this process forget their tokens at once.
 */
async function endSessions(
  db: Kysely<ControlTables>,
  target: { userId: string; everything: true } | { userId: string; sessionIds: string[] },
  reason: AccountSessionEndReason,
): Promise<Ended[]> {
  const { ended, grantIds } = await withControl(db, async (tx) => {
    let update = tx
      .updateTable('control.account_sessions')
      .set({ ended_at: sql<Date>`now()`, end_reason: reason })
      .where('user_id', '=', target.userId)
      .where('ended_at', 'is', null);
    if ('sessionIds' in target) {
      if (target.sessionIds.length === 0) return { ended: [], grantIds: [] };
      update = update.where('id', 'in', target.sessionIds);
    }
    const rows = await update.returning(['id', 'grant_id', 'user_id', 'tenant_slug', 'user_agent', 'session_uid']).execute();
    const grants = new Set(rows.map((r) => r.grant_id));
    if ('everything' in target) {
      const deleted = await tx
        .deleteFrom('control.oidc_payloads')
        .where(sql<string>`payload->>'accountId'`, '=', target.userId)
        .returning(['model', 'id', 'grant_id'])
        .execute();
      for (const row of deleted) {
        if (row.model === 'Grant') grants.add(row.id);
        if (row.grant_id) grants.add(row.grant_id);
      }
    }
    const sessionUids = rows.flatMap((r) => (r.session_uid ? [r.session_uid] : []));
    if (grants.size > 0 || sessionUids.length > 0) {
      await tx
        .deleteFrom('control.oidc_payloads')
        .where((eb) =>
          eb.or([
            ...(grants.size > 0
              ? [eb('grant_id', 'in', [...grants]), eb.and([eb('model', '=', 'Grant'), eb('id', 'in', [...grants])])]
              : []),
            ...(sessionUids.length > 0 ? [eb.and([eb('model', '=', 'Session'), eb('uid', 'in', sessionUids)])] : []),
          ]),
        )
        .execute();
    }
    return { ended: rows, grantIds: [...grants] };
  });
  announceEndedGrants(grantIds);
  return ended;
}

/** Ends every session of the account (sign out everywhere, force sign-out, deactivation): the number ended. */
export async function endAllSessions(db: Kysely<ControlTables>, userId: string, reason: AccountSessionEndReason): Promise<number> {
  return (await endSessions(db, { userId, everything: true }, reason)).length;
}

const liveSessions = (db: Kysely<ControlTables>, userId: string) =>
  db
    .selectFrom('control.account_sessions as s')
    .selectAll('s')
    .where('s.user_id', '=', userId)
    .where('s.ended_at', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('control.oidc_payloads as p')
          .select(sql<number>`1`.as('one'))
          .where('p.model', '=', 'Grant')
          .whereRef('p.id', '=', 's.grant_id')
          .where((eb) => eb.or([eb('p.expires_at', 'is', null), eb('p.expires_at', '>', sql<Date>`now()`)])),
      ),
    )
    .orderBy('s.signed_in_at', 'desc')
    .orderBy('s.id', 'desc');

/** The account's live sessions, newest first; `currentGrant` marks the one a request came with. */
export async function listAccountSessions(
  db: Kysely<ControlTables>,
  userId: string,
  currentGrant: string | null,
): Promise<AccountSession[]> {
  const rows = await liveSessions(db, userId).execute();
  return rows.map((row) => ({
    id: row.id,
    userAgent: row.user_agent,
    signedInAt: new Date(row.signed_in_at).toISOString(),
    lastUsedAt: new Date(row.last_used_at).toISOString(),
    current: currentGrant !== null && row.grant_id === currentGrant,
  }));
}

/**
 * Hooks of the embedded provider: a new sign-in (a new grant of the web client), a token renewal,
 * a sign-out at the provider, a failed sign-in. Each writes the tenant's audit trail; a failure
 * here is logged and never breaks the sign-in itself.
 */
export function createSessionRecorder(db: Kysely<ControlTables>) {
  return {
    /**
     * Records a new sign-in and ends the oldest sessions beyond `MAX_SESSIONS_PER_ACCOUNT`.
     */
    async signedIn(input: { accountId: string; grantId: string; sessionUid: string | null; origin: Origin }): Promise<void> {
      const user = await findLocalUserById(db, input.accountId);
      if (!user) return;
      const row = await db
        .insertInto('control.account_sessions')
        .values({
          user_id: user.id,
          tenant_slug: user.tenant_slug,
          grant_id: input.grantId,
          session_uid: input.sessionUid,
          user_agent: shorten(input.origin.userAgent, 300),
          source_ip: shorten(input.origin.ip, 100),
        })
        .onConflict((oc) => oc.column('grant_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) return;
      const live = await liveSessions(db, user.id).execute();
      const beyond = live.filter((s) => s.id !== row.id).slice(MAX_SESSIONS_PER_ACCOUNT - 1);
      const replaced = await endSessions(db, { userId: user.id, sessionIds: beyond.map((s) => s.id) }, 'replaced');
      const caller = accountCaller(user, input.origin);
      await auditAccount(db, user.tenant_slug, caller, [
        {
          action: 'session.signed_in',
          entityType: 'account',
          entityId: user.id,
          after: { session: row.id, email: user.email, userAgent: shorten(input.origin.userAgent, 300) },
        },
        ...replaced.map((s) => ({
          action: 'session.ended',
          entityType: 'account',
          entityId: user.id,
          after: { session: s.id, reason: 'replaced', userAgent: s.user_agent, limit: MAX_SESSIONS_PER_ACCOUNT },
        })),
      ]);
    },

    /** The session renewed its tokens: its "last used" time. */
    async used(grantId: string): Promise<void> {
      await db
        .updateTable('control.account_sessions')
        .set({ last_used_at: sql<Date>`now()` })
        .where('grant_id', '=', grantId)
        .where('ended_at', 'is', null)
        .execute();
    },

    /** The person signed out at the provider (or the provider revoked the grant). */
    async signedOut(grantId: string, origin: Origin): Promise<void> {
      const ended = await db
        .updateTable('control.account_sessions')
        .set({ ended_at: sql<Date>`now()`, end_reason: 'signed_out' })
        .where('grant_id', '=', grantId)
        .where('ended_at', 'is', null)
        .returning(['id', 'user_id', 'tenant_slug', 'session_uid'])
        .executeTakeFirst();
      announceEndedGrants([grantId]);
      if (!ended) return;
      const user = await findLocalUserById(db, ended.user_id);
      if (!user) return;
      await auditAccount(db, ended.tenant_slug, accountCaller(user, origin), [
        { action: 'session.signed_out', entityType: 'account', entityId: user.id, after: { session: ended.id } },
      ]);
    },

    /**
     * A failed sign-in. Recorded in the trail of the account's tenant when the e-mail belongs to
     * an account; an unknown e-mail leaves no trace anywhere a tenant can read (and the person
     * signing in sees the same page, status and timing either way: this runs after the answer).
     */
    async failed(email: string, origin: Origin): Promise<void> {
      if (!email) return;
      const user = await findLocalUserByEmail(db, email);
      if (!user?.tenant_slug) return;
      const caller: Caller = {
        kind: 'system',
        subject: 'sign-in',
        name: 'sign-in page',
        roles: [],
        tenantSlug: user.tenant_slug,
        requestId: null,
        sourceIp: origin.ip,
        userAgent: shorten(origin.userAgent, 500),
      };
      await auditAccount(db, user.tenant_slug, caller, [
        {
          action: 'session.sign_in_failed',
          entityType: 'account',
          entityId: user.id,
          after: { email: user.email, reason: user.active ? 'wrong password' : 'account deactivated' },
        },
      ]);
    },
  };
}

export type SessionRecorder = ReturnType<typeof createSessionRecorder>;
