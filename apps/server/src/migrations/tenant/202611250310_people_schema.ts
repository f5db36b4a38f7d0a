import { sql, type Transaction } from 'kysely';

export const name = '202611250310_people_schema';

/** Qualifications, drivers and the qualifications they hold (with expiry). Owned by modules/people. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table qualifications (
      id uuid primary key default gen_random_uuid(),
      code text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
      name text not null check (length(name) between 1 and 200),
      description text check (length(description) <= 2000),
      archived_at timestamptz,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index qualifications_code_key on qualifications (lower(code))`.execute(db);

  await sql`
    create table drivers (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(name) between 1 and 200),
      employee_no text check (length(employee_no) <= 50),
      phone text check (length(phone) <= 50),
      email text check (length(email) <= 320),
      subject text check (length(subject) <= 255),
      duty_status text not null default 'off_duty' check (duty_status in ('on_duty', 'off_duty')),
      status_note text check (length(status_note) <= 2000),
      lat double precision check (lat between -90 and 90),
      lng double precision check (lng between -180 and 180),
      position_at timestamptz,
      idle_since timestamptz not null default now(),
      archived_at timestamptz,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((lat is null) = (lng is null))
    )`.execute(db);
  await sql`create unique index drivers_employee_no_key on drivers (lower(employee_no)) where employee_no is not null`.execute(db);
  await sql`create unique index drivers_subject_key on drivers (subject) where subject is not null`.execute(db);
  await sql`create index drivers_on_duty_idx on drivers (idle_since) where duty_status = 'on_duty' and archived_at is null`.execute(db);
  await sql`create index drivers_name_idx on drivers (lower(name), id)`.execute(db);

  await sql`
    create table driver_qualifications (
      driver_id uuid not null references drivers (id) on delete cascade,
      qualification_id uuid not null references qualifications (id),
      expires_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (driver_id, qualification_id)
    )`.execute(db);
  await sql`create index driver_qualifications_by_qualification on driver_qualifications (qualification_id, expires_at)`.execute(db);
}
