import { sql, type Transaction } from 'kysely';

export const name = '202612026000_planning_schema';

/**
 * Availability over time (DESIGN.md §5.4), owned by modules/availability: shift patterns per driver
 * (weekly on ISO weekdays, or rotating N-on-M-off from an anchor day) at LOCAL wall-clock times in
 * the tenant's planning zone (an end at or before the start runs past midnight), exceptions per
 * local day (off, or a different shift), time-off requests (requested → approved | declined |
 * cancelled, whole local days), and planned maintenance windows per machine.
 * Owned by modules/planning: recurring work orders (an RFC 5545 rule over a local wall-clock start)
 * and their occurrences (created ahead within the tenant's horizon; skipped ones are kept).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table shift_patterns (
      id uuid primary key default gen_random_uuid(),
      driver_id uuid not null references drivers (id),
      kind text not null check (kind in ('weekly', 'rotating')),
      weekdays smallint[] not null default '{}',
      anchor_date date,
      on_days integer check (on_days between 1 and 60),
      off_days integer check (off_days between 0 and 60),
      start_time time not null,
      end_time time not null,
      valid_from date not null,
      valid_until date,
      note text check (length(note) <= 500),
      created_by_name text not null,
      created_at timestamptz not null default now(),
      check (kind <> 'rotating' or (anchor_date is not null and on_days is not null and off_days is not null)),
      check (kind <> 'weekly' or cardinality(weekdays) between 1 and 7),
      check (valid_until is null or valid_until >= valid_from),
      check (start_time <> end_time)
    )`.execute(db);
  await sql`create index shift_patterns_by_driver on shift_patterns (driver_id)`.execute(db);
  await sql`
    create table shift_exceptions (
      id uuid primary key default gen_random_uuid(),
      driver_id uuid not null references drivers (id),
      on_date date not null,
      kind text not null check (kind in ('off', 'work')),
      start_time time,
      end_time time,
      note text check (length(note) <= 500),
      created_by_name text not null,
      created_at timestamptz not null default now(),
      unique (driver_id, on_date),
      check ((kind = 'off') = (start_time is null and end_time is null)),
      check (start_time is null or start_time <> end_time)
    )`.execute(db);
  await sql`
    create table time_off_requests (
      id uuid primary key default gen_random_uuid(),
      driver_id uuid not null references drivers (id),
      first_day date not null,
      last_day date not null,
      reason text check (length(reason) <= 1000),
      status text not null default 'requested' check (status in ('requested', 'approved', 'declined', 'cancelled')),
      requested_by_subject text not null,
      requested_by_name text not null,
      decided_by_subject text,
      decided_by_name text,
      decided_at timestamptz,
      decision_note text check (length(decision_note) <= 1000),
      version integer not null default 1,
      created_at timestamptz not null default now(),
      check (last_day >= first_day)
    )`.execute(db);
  await sql`create index time_off_by_driver on time_off_requests (driver_id, first_day)`.execute(db);
  await sql`create index time_off_pending on time_off_requests (created_at) where status = 'requested'`.execute(db);
  await sql`
    create table maintenance_windows (
      id uuid primary key default gen_random_uuid(),
      equipment_id uuid not null references equipment (id),
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      reason text not null check (length(reason) between 1 and 500),
      created_by_name text not null,
      created_at timestamptz not null default now(),
      cancelled_at timestamptz,
      check (ends_at > starts_at)
    )`.execute(db);
  await sql`create index maintenance_windows_by_equipment on maintenance_windows (equipment_id, starts_at) where cancelled_at is null`.execute(
    db,
  );
  await sql`
    create table recurring_work_orders (
      id uuid primary key default gen_random_uuid(),
      rule text not null check (length(rule) between 1 and 500),
      local_start timestamp not null,
      template jsonb not null,
      until_local timestamp,
      ended_at timestamptz,
      parent_id uuid references recurring_work_orders (id),
      created_by_subject text not null,
      created_by_name text not null,
      created_at timestamptz not null default now(),
      version integer not null default 1
    )`.execute(db);
  await sql`
    create table recurrence_occurrences (
      id uuid primary key default gen_random_uuid(),
      series_id uuid not null references recurring_work_orders (id),
      local_start timestamp not null,
      starts_at timestamptz not null,
      status text not null check (status in ('created', 'skipped', 'detached')),
      work_order_id uuid references work_orders (id),
      skipped_reason text check (length(skipped_reason) <= 500),
      created_at timestamptz not null default now(),
      unique (series_id, local_start)
    )`.execute(db);
  await sql`create index recurrence_occurrences_by_start on recurrence_occurrences (series_id, starts_at)`.execute(db);
}
