import { sql, type Transaction } from 'kysely';

export const name = '202611250312_sites_schema';

/** Work sites. Owned by modules/sites. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table sites (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 200),
      address text not null check (length(address) between 1 and 500),
      lat double precision check (lat between -90 and 90),
      lng double precision check (lng between -180 and 180),
      contact_name text check (length(contact_name) <= 200),
      contact_phone text check (length(contact_phone) <= 50),
      notes text check (length(notes) <= 5000),
      active boolean not null default true,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((lat is null) = (lng is null))
    )`.execute(db);
  await sql`create index sites_name_idx on sites (lower(name), id)`.execute(db);
}
