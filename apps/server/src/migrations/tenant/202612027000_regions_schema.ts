import { sql, type Transaction } from 'kysely';

export const name = '202612027000_regions_schema';

/**
 * Regions (ABAC): the tenant's regions, and an optional region on equipment, drivers and sites
 * (null: shared by every region). Resources name a region by its code, the same key people's
 * region attributes and token claims use, so the policy compares codes without a join. A region
 * still named by a resource cannot be deleted (foreign key, no action: SQLSTATE 23503). Owned by modules/regions; the region
 * columns belong to their tables' modules.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table regions (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
      name text not null check (length(name) between 1 and 200),
      description text check (length(description) <= 2000),
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  for (const table of ['equipment', 'drivers', 'sites']) {
    await sql`alter table ${sql.table(table)} add column region text references regions (code)`.execute(db);
    await sql`create index ${sql.id(`${table}_by_region`)} on ${sql.table(table)} (region) where region is not null`.execute(db);
  }
}
