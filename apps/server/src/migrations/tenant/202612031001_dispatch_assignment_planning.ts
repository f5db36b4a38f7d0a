import { sql, type Transaction } from 'kysely';

export const name = '202612031001_dispatch_assignment_planning';

/**
 * The assignment trigger holds planning for automatic assignments (issue 18). Until now
 * `dispatch_check_assignment` checked duty and qualifications only; a leave approved or a
 * maintenance window planned between a matching statement's snapshot and its row lock could slip
 * through (the approval locks the driver's row but does not change it, so the lock's re-check does
 * not see the new leave). The trigger runs in a later statement with a fresh snapshot and now
 * refuses, for assignments by the system (automatic matching), a driver on approved leave or
 * outside their shift, or a machine in a planned maintenance window at that moment
 * (`check_violation`, constraints `dispatch_driver_planned` / `dispatch_equipment_planned`).
 *
 * The look-ahead (a job that would run past the shift end, a window starting during the job) stays
 * the matcher's: it depends on the learned job length, which may move between the two statements,
 * so the trigger checks the instant only (job length 0) and never refuses what the matcher rightly
 * chose. A dispatcher's manual pick (`assigned_by_kind = 'user'`) is a deliberate choice and is
 * not held to the plan, as before.
 *
 * The two functions are the planning predicates of modules/availability
 * (`driverAvailableAtSql`, `equipmentAvailableAtSql`) compiled with the parameters as arguments;
 * `availability.predicate.test.ts` fails when the predicates and these bodies part ways (then add
 * a migration that replaces the functions).
 *
 * Supersedes `dispatch_check_assignment` of migration 202611250531_dispatch_schema: the same body
 * (repeated, as `create or replace` must), plus the planning block.
 */
export const DRIVER_AVAILABLE_AT_BODY = `(not exists (select 1 from time_off_requests l where l.driver_id = p_driver and l.status = 'approved'
    and l.first_day <= (p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date and (p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date <= l.last_day) and (not exists (select 1 from shift_patterns p where p.driver_id = p_driver) or exists (
    select 1 from (values (0), (1)) g(back)
    cross join lateral (
    select (((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) + "x"."start_time") at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')) as starts_at,
      ((((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) + ("x"."end_time" <= "x"."start_time")::int) + "x"."end_time") at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')) as ends_at from shift_exceptions x where x.driver_id = p_driver and x.on_date = ((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) and x.kind = 'work'
    union all
    select (((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) + "p"."start_time") at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')) as starts_at,
      ((((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) + ("p"."end_time" <= "p"."start_time")::int) + "p"."end_time") at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')) as ends_at from shift_patterns p
    where p.driver_id = p_driver and p.valid_from <= ((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) and (p.valid_until is null or ((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) <= p.valid_until)
      and not exists (select 1 from shift_exceptions x where x.driver_id = p_driver and x.on_date = ((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back))
      and case when p.kind = 'weekly' then extract(isodow from ((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back))::int = any(p.weekdays)
        else ((((p_at at time zone (select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC')))::date - g.back) - p.anchor_date) % (p.on_days + p.off_days) + (p.on_days + p.off_days)) % (p.on_days + p.off_days) < p.on_days end) sh
    where sh.starts_at <= p_at and p_at < sh.ends_at
      and ((select coalesce((select (value->>'allowOvertime')::boolean from tenant_settings where key = 'planning'), false)) or p_at + make_interval(secs => p_need) <= sh.ends_at))))`;

export const EQUIPMENT_AVAILABLE_AT_BODY = `not exists (select 1 from maintenance_windows w where w.equipment_id = p_equipment and w.cancelled_at is null
    and w.ends_at > p_at and w.starts_at <= p_at + make_interval(secs => p_need))`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`create function planning_driver_available_at(p_driver uuid, p_at timestamptz, p_need float8) returns boolean language sql stable as $$ select ${sql.raw(DRIVER_AVAILABLE_AT_BODY)} $$`.execute(
    db,
  );
  await sql`create function planning_equipment_available_at(p_equipment uuid, p_at timestamptz, p_need float8) returns boolean language sql stable as $$ select ${sql.raw(EQUIPMENT_AVAILABLE_AT_BODY)} $$`.execute(
    db,
  );
  await sql`
    create or replace function dispatch_check_assignment() returns trigger language plpgsql as $$
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
      -- Planning (issue 18): automatic assignments only, at this instant (see the migration's note).
      if new.assigned_by_kind = 'system' then
        if not planning_driver_available_at(new.driver_id, now(), 0) then
          raise exception 'driver % is on leave or outside their shift', new.driver_id using errcode = 'check_violation', constraint = 'dispatch_driver_planned';
        end if;
        if not planning_equipment_available_at(new.equipment_id, now(), 0) then
          raise exception 'equipment % is in a planned maintenance window', new.equipment_id using errcode = 'check_violation', constraint = 'dispatch_equipment_planned';
        end if;
      end if;
      return new;
    end $$`.execute(db);
}
