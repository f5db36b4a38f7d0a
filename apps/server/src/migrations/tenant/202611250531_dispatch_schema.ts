import { sql, type Transaction } from 'kysely';

export const name = '202611250531_dispatch_schema';

/**
 * Dispatches: one per requested unit. Invariant 1 (no double booking) is enforced here by unique
 * partial indexes; invariant 2 (only qualified, on-duty drivers and available equipment) by a
 * trigger that re-checks every assignment inside the assigning transaction.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`create sequence dispatch_queue_seq`.execute(db);
  await sql`
    create table dispatches (
      id uuid primary key default gen_random_uuid(),
      work_order_id uuid not null references work_orders (id),
      line_id uuid not null references work_order_lines (id),
      equipment_type_id uuid not null references equipment_types (id),
      requested_equipment_id uuid references equipment (id),
      site_id uuid not null references sites (id),
      priority text not null check (priority in ('urgent', 'standard', 'low')),
      status text not null check (status in ('scheduled', 'queued', 'dispatched', 'en_route', 'on_site', 'returning', 'completed', 'recalled', 'cancelled')),
      requested_start timestamptz not null,
      queued_at timestamptz,
      queue_seq bigint,
      equipment_id uuid references equipment (id),
      driver_id uuid references drivers (id),
      assigned_by_kind text check (assigned_by_kind in ('user', 'system')),
      assigned_by_subject text,
      assigned_by_name text,
      declined_driver_ids uuid[] not null default '{}',
      notes text check (length(notes) <= 5000),
      decline_reason text check (length(decline_reason) <= 2000),
      recall_reason text check (length(recall_reason) <= 2000),
      cancel_reason text check (length(cancel_reason) <= 2000),
      replaces_dispatch_id uuid references dispatches (id),
      created_at timestamptz not null default now(),
      dispatched_at timestamptz,
      en_route_at timestamptz,
      on_site_at timestamptz,
      returning_at timestamptz,
      completed_at timestamptz,
      recalled_at timestamptz,
      cancelled_at timestamptz,
      version integer not null default 1,
      updated_at timestamptz not null default now(),
      check ((status in ('dispatched', 'en_route', 'on_site', 'returning')) = (equipment_id is not null and driver_id is not null and dispatched_at is not null)
             or status in ('completed', 'recalled')),
      check (status <> 'queued' or (queued_at is not null and queue_seq is not null))
    )`.execute(db);
  await sql`create unique index dispatches_one_active_per_driver on dispatches (driver_id) where status in ('dispatched', 'en_route', 'on_site', 'returning')`.execute(
    db,
  );
  await sql`create unique index dispatches_one_active_per_equipment on dispatches (equipment_id) where status in ('dispatched', 'en_route', 'on_site', 'returning')`.execute(
    db,
  );
  await sql`create index dispatches_queue_idx on dispatches (equipment_type_id, queued_at, queue_seq) where status = 'queued'`.execute(db);
  await sql`create index dispatches_scheduled_idx on dispatches (requested_start) where status = 'scheduled'`.execute(db);
  await sql`create index dispatches_active_idx on dispatches (status, dispatched_at) where status in ('dispatched', 'en_route', 'on_site', 'returning')`.execute(
    db,
  );
  await sql`create index dispatches_work_order_idx on dispatches (work_order_id)`.execute(db);
  await sql`create index dispatches_driver_idx on dispatches (driver_id, created_at desc)`.execute(db);
  await sql`create index dispatches_created_idx on dispatches (created_at)`.execute(db);
  await sql`create index dispatches_finished_idx on dispatches (coalesce(completed_at, recalled_at, cancelled_at)) where status in ('completed', 'recalled', 'cancelled')`.execute(
    db,
  );

  await sql`
    create function dispatch_check_assignment() returns trigger language plpgsql as $$
    declare
      driver_ok boolean;
      missing integer;
      equipment_status text;
      equipment_type uuid;
    begin
      if new.status <> 'dispatched' or (tg_op = 'UPDATE' and old.status = 'dispatched') then
        return new;
      end if;
      select duty_status = 'on_duty' and archived_at is null into driver_ok from drivers where id = new.driver_id;
      if not coalesce(driver_ok, false) then
        raise exception 'driver % is not on duty', new.driver_id using errcode = 'check_violation', constraint = 'dispatch_driver_on_duty';
      end if;
      select count(*) into missing
        from equipment_type_qualifications r
        where r.equipment_type_id = new.equipment_type_id
          and not exists (
            select 1 from driver_qualifications dq
            where dq.driver_id = new.driver_id and dq.qualification_id = r.qualification_id
              and (dq.expires_at is null or dq.expires_at > new.dispatched_at));
      if missing > 0 then
        raise exception 'driver % lacks % required qualification(s)', new.driver_id, missing using errcode = 'check_violation', constraint = 'dispatch_driver_qualified';
      end if;
      select status, equipment_type_id into equipment_status, equipment_type from equipment where id = new.equipment_id;
      if equipment_type is distinct from new.equipment_type_id then
        raise exception 'equipment % is not of the requested type', new.equipment_id using errcode = 'check_violation', constraint = 'dispatch_equipment_type';
      end if;
      if equipment_status is distinct from 'dispatched' then
        raise exception 'equipment % was not reserved (status %)', new.equipment_id, equipment_status using errcode = 'check_violation', constraint = 'dispatch_equipment_reserved';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger dispatch_check_assignment before insert or update on dispatches for each row execute function dispatch_check_assignment()`.execute(
    db,
  );
}
