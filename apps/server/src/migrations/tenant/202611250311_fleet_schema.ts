import { sql, type Transaction } from 'kysely';

export const name = '202611250311_fleet_schema';

/** Equipment types (with required qualifications) and equipment. Owned by modules/fleet. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table equipment_types (
      id uuid primary key default gen_random_uuid(),
      code text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
      name text not null check (length(name) between 1 and 200),
      description text check (length(description) <= 2000),
      archived_at timestamptz,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index equipment_types_code_key on equipment_types (lower(code))`.execute(db);

  await sql`
    create table equipment_type_qualifications (
      equipment_type_id uuid not null references equipment_types (id) on delete cascade,
      qualification_id uuid not null references qualifications (id),
      primary key (equipment_type_id, qualification_id)
    )`.execute(db);

  await sql`
    create table equipment (
      id uuid primary key default gen_random_uuid(),
      asset_tag text not null check (asset_tag ~ '^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$'),
      name text not null check (length(name) between 1 and 200),
      equipment_type_id uuid not null references equipment_types (id),
      status text not null default 'available' check (status in ('available', 'dispatched', 'maintenance', 'retired')),
      status_note text check (length(status_note) <= 2000),
      home_lat double precision check (home_lat between -90 and 90),
      home_lng double precision check (home_lng between -180 and 180),
      lat double precision check (lat between -90 and 90),
      lng double precision check (lng between -180 and 180),
      position_at timestamptz,
      idle_since timestamptz not null default now(),
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((lat is null) = (lng is null)),
      check ((home_lat is null) = (home_lng is null))
    )`.execute(db);
  await sql`create unique index equipment_asset_tag_key on equipment (lower(asset_tag))`.execute(db);
  await sql`create index equipment_available_by_type on equipment (equipment_type_id, idle_since) where status = 'available'`.execute(db);
  await sql`create index equipment_by_type_status on equipment (equipment_type_id, status)`.execute(db);
}
