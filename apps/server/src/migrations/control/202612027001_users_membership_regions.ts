import { sql, type Transaction } from 'kysely';

export const name = '202612027001_users_membership_regions';

/**
 * Regions (ABAC): a membership's region attributes (region codes of its tenant; empty: not
 * limited), and, for a tenant's own identity provider, the token claim that carries them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`alter table control.memberships add column regions text[] not null default '{}' check (cardinality(regions) <= 50)`.execute(db);
  await sql`alter table control.tenant_issuers add column region_claim text not null default 'region' check (length(region_claim) between 1 and 100)`.execute(
    db,
  );
}
