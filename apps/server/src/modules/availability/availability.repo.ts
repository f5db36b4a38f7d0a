import { sql } from 'kysely';
import type { TenantTx } from '../../platform/db/index.js';
import {
  driverAvailableAtSql,
  equipmentAvailableAtSql,
  hasShiftPlanSql,
  planningZoneSql,
  shiftsOnDaySql,
} from './availability.predicate.js';
import './availability.tables.js';

export type ShiftInterval = { driverId: string; startsAt: Date; endsAt: Date };

/**
 * Every shift of the drivers (null: all unarchived drivers) that overlaps [from, to), from the
 * patterns and exceptions, at local wall-clock times in the planning zone (`shiftsOnDaySql`).
 */
export async function selectShiftIntervals(
  tx: TenantTx,
  driverIds: readonly string[] | null,
  from: Date,
  to: Date,
): Promise<ShiftInterval[]> {
  const { rows } = await sql<{ driver_id: string; starts_at: Date; ends_at: Date }>`
    select dr.id as driver_id, sh.starts_at, sh.ends_at
    from drivers dr
    cross join lateral generate_series(((${from}::timestamptz at time zone ${planningZoneSql})::date - 1)::timestamp, (${to}::timestamptz at time zone ${planningZoneSql})::date::timestamp, interval '1 day') g(day)
    cross join lateral (${shiftsOnDaySql(sql.ref('dr.id'), sql`g.day::date`)}) sh
    where dr.archived_at is null ${driverIds ? sql`and dr.id = any(${[...driverIds]}::uuid[])` : sql``}
      and sh.ends_at > ${from} and sh.starts_at < ${to}
    order by dr.id, sh.starts_at`.execute(tx);
  return rows.map((r) => ({ driverId: r.driver_id, startsAt: new Date(r.starts_at), endsAt: new Date(r.ends_at) }));
}

export type DriverPlanState = {
  driverId: string;
  name: string;
  planned: boolean;
  available: boolean;
  leaveUntil: string | null;
  nextShiftAt: Date | null;
};

/**
 * Why planned drivers are (not) available at `at` for a job of `needSeconds`: approved leave (until
 * which local day), outside a shift (when the next one starts, within 8 days), or a job that would
 * run past the shift's end. Used by explain and the forecasts.
 */
export async function selectDriverPlanStates(
  tx: TenantTx,
  driverIds: readonly string[],
  at: Date,
  needSeconds: number,
): Promise<DriverPlanState[]> {
  if (driverIds.length === 0) return [];
  const atSql = sql`${at}::timestamptz`;
  const { rows } = await sql<{
    id: string;
    name: string;
    planned: boolean;
    available: boolean;
    leave_until: string | null;
    next_shift_at: Date | null;
  }>`
    select dr.id, dr.name, ${hasShiftPlanSql(sql.ref('dr.id'))} as planned,
      ${driverAvailableAtSql(sql.ref('dr.id'), atSql, sql`${needSeconds}::float8`)} as available,
      (select to_char(max(l.last_day), 'YYYY-MM-DD') from time_off_requests l where l.driver_id = dr.id and l.status = 'approved'
        and l.first_day <= (${atSql} at time zone ${planningZoneSql})::date and (${atSql} at time zone ${planningZoneSql})::date <= l.last_day) as leave_until,
      (select min(sh.starts_at) from generate_series((${atSql} at time zone ${planningZoneSql})::date::timestamp, (${atSql} at time zone ${planningZoneSql})::date::timestamp + interval '8 days', interval '1 day') g(day)
        cross join lateral (${shiftsOnDaySql(sql.ref('dr.id'), sql`g.day::date`)}) sh
        where sh.starts_at > ${atSql}
          and not exists (select 1 from time_off_requests l where l.driver_id = dr.id and l.status = 'approved' and g.day::date between l.first_day and l.last_day)) as next_shift_at
    from drivers dr where dr.id = any(${[...driverIds]}::uuid[])`.execute(tx);
  return rows.map((r) => ({
    driverId: r.id,
    name: r.name,
    planned: r.planned,
    available: r.available,
    leaveUntil: r.leave_until,
    nextShiftAt: r.next_shift_at ? new Date(r.next_shift_at) : null,
  }));
}

export type EquipmentWindowState = { equipmentId: string; available: boolean; windowEndsAt: Date | null; reason: string | null };

/** Whether each machine is clear of planned maintenance for a job from `at` lasting `needSeconds`, and if not, until when and why. */
export async function selectEquipmentWindowStates(
  tx: TenantTx,
  equipmentIds: readonly string[],
  at: Date,
  needSeconds: number,
): Promise<EquipmentWindowState[]> {
  if (equipmentIds.length === 0) return [];
  const atSql = sql`${at}::timestamptz`;
  const { rows } = await sql<{ id: string; available: boolean; ends_at: Date | null; reason: string | null }>`
    select e.id, ${equipmentAvailableAtSql(sql.ref('e.id'), atSql, sql`${needSeconds}::float8`)} as available, w.ends_at, w.reason
    from equipment e
    left join lateral (select w.ends_at, w.reason from maintenance_windows w where w.equipment_id = e.id and w.cancelled_at is null
      and w.ends_at > ${atSql} and w.starts_at <= ${atSql} + make_interval(secs => ${needSeconds}::float8) order by w.starts_at limit 1) w on true
    where e.id = any(${[...equipmentIds]}::uuid[])`.execute(tx);
  return rows.map((r) => ({
    equipmentId: r.id,
    available: r.available,
    windowEndsAt: r.ends_at ? new Date(r.ends_at) : null,
    reason: r.reason,
  }));
}
