import { sql, type Kysely, type Selectable } from 'kysely';
import type { ControlTables, TenantTx } from '../../platform/db/index.js';
import type { MembershipsTable } from './users.tables.js';
import './users.tables.js';

export type MembershipRow = Selectable<MembershipsTable>;

// ---- control connection (the authenticator, seeding) -------------------------------------------

/** The membership of a subject of this issuer (or of any issuer, when none was recorded). */
export function selectMembershipBySubject(db: Kysely<ControlTables>, tenantSlug: string, subject: string, issuer: string): Promise<MembershipRow | undefined> {
  return db
    .selectFrom('control.memberships')
    .selectAll()
    .where('tenant_slug', '=', tenantSlug)
    .where('subject', '=', subject)
    .where((eb) => eb.or([eb('issuer', 'is', null), eb('issuer', '=', issuer)]))
    .executeTakeFirst();
}

export function selectActiveMembershipsOfSubject(db: Kysely<ControlTables>, subject: string, issuer: string): Promise<MembershipRow[]> {
  return db
    .selectFrom('control.memberships')
    .selectAll()
    .where('subject', '=', subject)
    .where((eb) => eb.or([eb('issuer', 'is', null), eb('issuer', '=', issuer)]))
    .where('active', '=', true)
    .limit(2)
    .execute();
}

/** Binds a pending invitation (no subject yet) to the subject signing in with its e-mail. */
export function bindPendingInvitation(db: Kysely<ControlTables>, tenantSlug: string, email: string, subject: string, issuer: string): Promise<MembershipRow | undefined> {
  return db
    .updateTable('control.memberships')
    .set({ subject, issuer, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_slug', '=', tenantSlug)
    .where('subject', 'is', null)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .returningAll()
    .executeTakeFirst();
}

export async function insertMembershipIfAbsent(
  db: Kysely<ControlTables>,
  row: { tenant_slug: string; subject: string; email: string | null; name: string; roles: string[] },
): Promise<void> {
  await db.insertInto('control.memberships').values(row).onConflict((oc) => oc.columns(['tenant_slug', 'subject']).doNothing()).execute();
}

// ---- tenant transaction (row-level security limits it to the tenant's own rows) ----------------

export function selectMembershipsPage(tx: TenantTx, options: { limit: number; after?: string; active?: boolean }): Promise<MembershipRow[]> {
  let query = tx.selectFrom('control.memberships').selectAll().orderBy('id').limit(options.limit + 1);
  if (options.after) query = query.where('id', '>', options.after);
  if (options.active !== undefined) query = query.where('active', '=', options.active);
  return query.execute();
}

export function selectMembershipById(tx: TenantTx, id: string, forUpdate = false): Promise<MembershipRow | undefined> {
  const query = tx.selectFrom('control.memberships').selectAll().where('id', '=', id);
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function selectMembershipByIdentity(tx: TenantTx, input: { subject?: string; email?: string }): Promise<MembershipRow | undefined> {
  return tx
    .selectFrom('control.memberships')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(input.subject ? [eb('subject', '=', input.subject)] : []),
        ...(input.email ? [eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase())] : []),
      ]),
    )
    .executeTakeFirst();
}

export function insertMembership(
  tx: TenantTx,
  row: { tenant_slug: string; subject: string | null; email: string | null; name: string; roles: string[]; regions?: string[] },
): Promise<MembershipRow> {
  return tx.insertInto('control.memberships').values(row).returningAll().executeTakeFirstOrThrow();
}

export function updateMembershipById(tx: TenantTx, id: string, changes: { name?: string; roles?: string[]; active?: boolean; regions?: string[] }): Promise<MembershipRow> {
  return tx
    .updateTable('control.memberships')
    .set({ ...changes, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
