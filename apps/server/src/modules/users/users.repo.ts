import { sql, type Kysely, type Selectable } from 'kysely';
import type { ControlTables, TenantTx } from '../../platform/db/index.js';
import type { MembershipsTable } from './users.tables.js';
import './users.tables.js';

export type MembershipRow = Selectable<MembershipsTable>;

// ---- control connection (the authenticator, seeding) -------------------------------------------

/**
 * The sign-in lookup in one round trip (it runs on every authenticated request): the subject's
 * membership, or else — when an e-mail is given — the pending invitation of that e-mail, bound to
 * the subject. Same rows and effect as `selectMembershipBySubject` then `bindPendingInvitation`.
 */
export async function selectOrBindMembership(
  db: Kysely<ControlTables>,
  input: { tenantSlug: string; subject: string; issuer: string; email: string | null },
): Promise<MembershipRow | undefined> {
  const { rows } = await sql<MembershipRow>`
    with found as (
      select * from control.memberships
      where tenant_slug = ${input.tenantSlug} and subject = ${input.subject} and (issuer is null or issuer = ${input.issuer})
      limit 1
    ),
    bound as (
      update control.memberships set subject = ${input.subject}, issuer = ${input.issuer}, version = version + 1, updated_at = now()
      where ${input.email}::text is not null and not exists (select 1 from found)
        and tenant_slug = ${input.tenantSlug} and subject is null and lower(email) = lower(${input.email}::text)
      returning *
    )
    select * from found union all select * from bound limit 1`.execute(db);
  return rows[0];
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

export async function insertMembershipIfAbsent(
  db: Kysely<ControlTables>,
  row: { tenant_slug: string; subject: string; email: string | null; name: string; roles: string[] },
): Promise<void> {
  await db
    .insertInto('control.memberships')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_slug', 'subject']).doNothing())
    .execute();
}

// ---- tenant transaction (row-level security limits it to the tenant's own rows) ----------------

export function selectMembershipsPage(
  tx: TenantTx,
  options: { limit: number; after?: string; active?: boolean },
): Promise<MembershipRow[]> {
  let query = tx
    .selectFrom('control.memberships')
    .selectAll()
    .orderBy('id')
    .limit(options.limit + 1);
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

export function updateMembershipById(
  tx: TenantTx,
  id: string,
  changes: { name?: string; roles?: string[]; active?: boolean; regions?: string[] },
): Promise<MembershipRow> {
  return tx
    .updateTable('control.memberships')
    .set({ ...changes, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** `update memberships set name, email = pseudonym, active = false … where id` (erasure) */
export function pseudonymiseMembershipById(tx: TenantTx, id: string, pseudonym: { name: string; email: string }): Promise<MembershipRow> {
  return tx
    .updateTable('control.memberships')
    .set({ name: pseudonym.name, email: pseudonym.email, active: false, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
