import { sql, type RawBuilder } from 'kysely';

/**
 * THE planning predicates of matching (DESIGN.md §5.4), as SQL fragments the dispatch engine puts
 * where it selects free drivers and free equipment. One definition: the shifts of a driver on a
 * local day (`shiftsOnDaySql`) serve matching "now", the capacity check at a future time, the ETA
 * and the forecast alike.
 *
 * Times: patterns hold LOCAL wall-clock times in the tenant's planning zone; `(day + time) at time
 * zone zone` turns them into instants, so a 07:00 shift starts at 07:00 local on both sides of a
 * daylight-saving change (and a night shift across the change is an hour shorter or longer).
 */

type Sql<T = unknown> = RawBuilder<T>;

/** The tenant's planning zone (UTC until one is set), evaluated once per statement. */
export const planningZoneSql: Sql<string> = sql<string>`(select coalesce((select value->>'timeZone' from tenant_settings where key = 'planning'), 'UTC'))`;

/** Whether a job may run past its driver's shift end (off unless the tenant allows overtime). */
export const allowOvertimeSql: Sql<boolean> = sql<boolean>`(select coalesce((select (value->>'allowOvertime')::boolean from tenant_settings where key = 'planning'), false))`;

/**
 * The shifts (`starts_at`, `ends_at`) of driver `driver` that begin on local day `day` (a `date`
 * expression): that day's exception if there is one (off: none; work: its times), else every
 * pattern valid that day whose weekday (weekly) or position in the cycle (rotating) works it.
 * An end at or before the start ends the next day.
 */
export function shiftsOnDaySql(driver: Sql, day: Sql): Sql<{ starts_at: Date; ends_at: Date }> {
  const span = (t: string) =>
    sql`(${day} + ${sql.ref(`${t}.start_time`)}) at time zone ${planningZoneSql} as starts_at,
      ((${day} + (${sql.ref(`${t}.end_time`)} <= ${sql.ref(`${t}.start_time`)})::int) + ${sql.ref(`${t}.end_time`)}) at time zone ${planningZoneSql} as ends_at`;
  return sql`
    select ${span('x')} from shift_exceptions x where x.driver_id = ${driver} and x.on_date = ${day} and x.kind = 'work'
    union all
    select ${span('p')} from shift_patterns p
    where p.driver_id = ${driver} and p.valid_from <= ${day} and (p.valid_until is null or ${day} <= p.valid_until)
      and not exists (select 1 from shift_exceptions x where x.driver_id = ${driver} and x.on_date = ${day})
      and case when p.kind = 'weekly' then extract(isodow from ${day})::int = any(p.weekdays)
        else ((${day} - p.anchor_date) % (p.on_days + p.off_days) + (p.on_days + p.off_days)) % (p.on_days + p.off_days) < p.on_days end`;
}

/** Whether the driver has a shift plan at all (without one, the duty switch alone decides, as before). */
export function hasShiftPlanSql(driver: Sql): Sql<boolean> {
  return sql<boolean>`exists (select 1 from shift_patterns p where p.driver_id = ${driver})`;
}

/** Whether the driver is on approved leave on the local day of `at`. */
export function onLeaveSql(driver: Sql, at: Sql): Sql<boolean> {
  return sql<boolean>`exists (select 1 from time_off_requests l where l.driver_id = ${driver} and l.status = 'approved'
    and l.first_day <= (${at} at time zone ${planningZoneSql})::date and (${at} at time zone ${planningZoneSql})::date <= l.last_day)`;
}

/**
 * PLANNING PREDICATE (drivers): the driver may take a job starting at `at` that is expected to last
 * `needSeconds`: not on approved leave, and — if they have a shift plan — inside a shift (one that
 * began today or yesterday, local time), with the job ending by the shift's end unless the tenant
 * allows overtime. `needSeconds` is only evaluated for planned drivers when overtime is off.
 * The duty switch, qualifications and busy-ness are the engine's own checks, not this one's.
 */
export function driverAvailableAtSql(driver: Sql, at: Sql, needSeconds: Sql<number>): Sql<boolean> {
  return sql<boolean>`(not ${onLeaveSql(driver, at)} and (not ${hasShiftPlanSql(driver)} or exists (
    select 1 from (values (0), (1)) g(back)
    cross join lateral (${shiftsOnDaySql(driver, sql`((${at} at time zone ${planningZoneSql})::date - g.back)`)}) sh
    where sh.starts_at <= ${at} and ${at} < sh.ends_at
      and (${allowOvertimeSql} or ${at} + make_interval(secs => ${needSeconds}) <= sh.ends_at))))`;
}

/**
 * PLANNING PREDICATE (equipment): no planned maintenance window of the machine overlaps a job from
 * `at` lasting `needSeconds` (a machine due in the workshop in 30 minutes is not sent out for two hours).
 */
export function equipmentAvailableAtSql(equipment: Sql, at: Sql, needSeconds: Sql<number>): Sql<boolean> {
  return sql<boolean>`not exists (select 1 from maintenance_windows w where w.equipment_id = ${equipment} and w.cancelled_at is null
    and w.ends_at > ${at} and w.starts_at <= ${at} + make_interval(secs => ${needSeconds}))`;
}

/** Matching "now": `driverAvailableAtSql` at the transaction's time. */
export function driverAvailableNowSql(driver: Sql, needSeconds: Sql<number>): Sql<boolean> {
  return driverAvailableAtSql(driver, sql`now()`, needSeconds);
}

/** Matching "now": `equipmentAvailableAtSql` at the transaction's time. */
export function equipmentAvailableNowSql(equipment: Sql, needSeconds: Sql<number>): Sql<boolean> {
  return equipmentAvailableAtSql(equipment, sql`now()`, needSeconds);
}
