import { sql, type Transaction } from 'kysely';

export const name = '202611250300_platform_tenants';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table control.tenants (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z][a-z0-9_]{1,39}$'),
      name text not null check (length(name) between 1 and 200),
      time_zone text not null default 'UTC',
      settings jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      archived_at timestamptz
    )`.execute(db);
}
