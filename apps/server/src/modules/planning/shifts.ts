import { sql } from 'kysely';
import type {
  CreateMaintenanceWindow,
  CreateShiftException,
  CreateShiftPattern,
  MaintenanceWindow,
  ShiftException,
  ShiftPattern,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import { announce } from '../../platform/events.js';
import { selectShiftIntervals, type ShiftInterval } from '../availability/index.js';
import { recordAudit } from '../audit/index.js';
import { findEquipment, lockEquipment } from '../fleet/index.js';
import { findDriver } from '../people/index.js';
import { invalidPlan, invalidPlanFields } from './planning.errors.js';
import { addDays, instantToWallTime } from './zone.js';

const WEEKDAY = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const hm = (t: string | null): string | null => (t === null ? null : t.slice(0, 5));
const day = (d: string | Date | null): string | null =>
  d === null ? null : typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10);

export function isRealDay(value: string): boolean {
  const t = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === value;
}

function weekdaysText(days: readonly number[]): string {
  const sorted = [...days].sort((a, b) => a - b);
  const run = sorted.length > 2 && sorted.every((d, i) => i === 0 || d === (sorted[i - 1] ?? 0) + 1);
  return run ? `${WEEKDAY[sorted[0] ?? 1]}–${WEEKDAY[sorted[sorted.length - 1] ?? 1]}` : sorted.map((d) => WEEKDAY[d]).join(', ');
}

type PatternRow = {
  id: string;
  driver_id: string;
  driver_name: string;
  kind: 'weekly' | 'rotating';
  weekdays: number[];
  anchor_date: string | Date | null;
  on_days: number | null;
  off_days: number | null;
  start_time: string;
  end_time: string;
  valid_from: string | Date;
  valid_until: string | Date | null;
  note: string | null;
};

function patternView(r: PatternRow): ShiftPattern {
  const times = `${hm(r.start_time) ?? ''}–${hm(r.end_time) ?? ''}`;
  const summary =
    r.kind === 'weekly'
      ? `${weekdaysText(r.weekdays)} ${times}`
      : `${r.on_days ?? 0} on, ${r.off_days ?? 0} off from ${day(r.anchor_date) ?? ''}, ${times}`;
  return {
    id: r.id,
    driverId: r.driver_id,
    driverName: r.driver_name,
    kind: r.kind,
    weekdays: r.weekdays.map(Number),
    anchorDate: day(r.anchor_date),
    onDays: r.on_days,
    offDays: r.off_days,
    startTime: hm(r.start_time) ?? '',
    endTime: hm(r.end_time) ?? '',
    validFrom: day(r.valid_from) ?? '',
    validUntil: day(r.valid_until),
    note: r.note,
    summary,
  };
}

async function checkDriver(tx: TenantTx, driverId: string): Promise<string> {
  const driver = await findDriver(tx, driverId);
  if (!driver || driver.archived_at !== null) throw invalidPlan('driverId', 'unknown or archived driver');
  return driver.name;
}

/** Two shifts of one driver that overlap, found by expanding the plan (the one definition of shifts) over a span. */
function firstOverlap(intervals: readonly ShiftInterval[]): ShiftInterval | undefined {
  for (let i = 1; i < intervals.length; i++) {
    const prev = intervals[i - 1];
    const cur = intervals[i];
    if (prev && cur && prev.driverId === cur.driverId && cur.startsAt < prev.endsAt) return cur;
  }
  return undefined;
}

async function checkNoOverlap(tx: TenantTx, driverId: string, fromDay: string, days: number, zone: string, field: string): Promise<void> {
  const from = new Date(`${fromDay}T00:00:00Z`);
  const intervals = await selectShiftIntervals(
    tx,
    [driverId],
    new Date(from.getTime() - 86_400_000),
    new Date(from.getTime() + days * 86_400_000),
  );
  const clash = firstOverlap(intervals);
  if (clash)
    throw invalidPlan(
      field,
      `overlaps another shift of this driver (the one starting ${instantToWallTime(clash.startsAt, zone).replace('T', ' ')})`,
    );
}

export async function createShiftPattern(tx: TenantTx, caller: Caller, input: CreateShiftPattern, zone: string): Promise<ShiftPattern> {
  const errors: Array<{ field: string; message: string }> = [];
  if (!isRealDay(input.validFrom)) errors.push({ field: 'validFrom', message: 'not a real date' });
  if (input.validUntil && !isRealDay(input.validUntil)) errors.push({ field: 'validUntil', message: 'not a real date' });
  else if (input.validUntil && input.validUntil < input.validFrom) errors.push({ field: 'validUntil', message: 'ends before it starts' });
  if (input.startTime === input.endTime) errors.push({ field: 'endTime', message: 'a shift cannot end when it starts' });
  if (input.kind === 'weekly') {
    if (!input.weekdays || input.weekdays.length === 0)
      errors.push({ field: 'weekdays', message: 'a weekly pattern needs at least one weekday' });
    else if (new Set(input.weekdays).size !== input.weekdays.length)
      errors.push({ field: 'weekdays', message: 'a weekday is listed twice' });
  } else {
    if (!input.anchorDate || !isRealDay(input.anchorDate))
      errors.push({ field: 'anchorDate', message: 'a rotating pattern needs the first "on" day of a cycle' });
    if (input.onDays === undefined) errors.push({ field: 'onDays', message: 'a rotating pattern needs its "on" days' });
    if (input.offDays === undefined) errors.push({ field: 'offDays', message: 'a rotating pattern needs its "off" days' });
  }
  if (errors.length > 0) throw invalidPlanFields(errors);
  const driverName = await checkDriver(tx, input.driverId);
  const row = await tx
    .insertInto('shift_patterns')
    .values({
      driver_id: input.driverId,
      kind: input.kind,
      weekdays: input.kind === 'weekly' ? [...(input.weekdays ?? [])].sort((a, b) => a - b) : [],
      anchor_date: input.kind === 'rotating' ? (input.anchorDate ?? null) : null,
      on_days: input.kind === 'rotating' ? (input.onDays ?? null) : null,
      off_days: input.kind === 'rotating' ? (input.offDays ?? null) : null,
      start_time: input.startTime,
      end_time: input.endTime,
      valid_from: input.validFrom,
      valid_until: input.validUntil ?? null,
      note: input.note ?? null,
      created_by_name: caller.name,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  // Expand over eight weeks plus one rotation cycle from the pattern's first day (every weekly and rotating clash shows within it).
  await checkNoOverlap(tx, input.driverId, input.validFrom, 56 + (input.onDays ?? 0) + (input.offDays ?? 0), zone, 'startTime');
  const view = patternView({ ...row, driver_name: driverName });
  await recordAudit(tx, caller, {
    action: 'shift_pattern.created',
    entityType: 'driver',
    entityId: input.driverId,
    after: { shiftPattern: view.summary, id: view.id },
  });
  await announce(tx, caller, 'capacity.changed', { reason: 'planning.changed', driverId: input.driverId });
  return view;
}

export async function listShiftPatterns(tx: TenantTx, driverId: string | undefined): Promise<ShiftPattern[]> {
  const rows = await sql<PatternRow>`
    select p.*, dr.name as driver_name from shift_patterns p join drivers dr on dr.id = p.driver_id
    ${driverId ? sql`where p.driver_id = ${driverId}` : sql``} order by dr.name, p.valid_from, p.start_time`.execute(tx);
  return rows.rows.map(patternView);
}

export async function deleteShiftPattern(tx: TenantTx, caller: Caller, id: string): Promise<void> {
  const row = await tx
    .deleteFrom('shift_patterns')
    .where('id', '=', id)
    .returning(['driver_id', 'start_time', 'end_time', 'kind'])
    .executeTakeFirst();
  if (!row) throw notFound('shift pattern', id);
  await recordAudit(tx, caller, {
    action: 'shift_pattern.deleted',
    entityType: 'driver',
    entityId: row.driver_id,
    before: { shiftPattern: id },
  });
  await announce(tx, caller, 'capacity.changed', { reason: 'planning.changed', driverId: row.driver_id });
}

function exceptionView(r: {
  id: string;
  driver_id: string;
  on_date: string | Date;
  kind: 'off' | 'work';
  start_time: string | null;
  end_time: string | null;
  note: string | null;
}): ShiftException {
  return {
    id: r.id,
    driverId: r.driver_id,
    onDate: day(r.on_date) ?? '',
    kind: r.kind,
    startTime: hm(r.start_time),
    endTime: hm(r.end_time),
    note: r.note,
  };
}

/** One day that differs from the pattern (off, or other hours); a second exception for the same day replaces the first. */
export async function putShiftException(tx: TenantTx, caller: Caller, input: CreateShiftException, zone: string): Promise<ShiftException> {
  const errors: Array<{ field: string; message: string }> = [];
  if (!isRealDay(input.onDate)) errors.push({ field: 'onDate', message: 'not a real date' });
  if (input.kind === 'work' && (!input.startTime || !input.endTime))
    errors.push({ field: input.startTime ? 'endTime' : 'startTime', message: 'a working day needs its hours' });
  if (input.kind === 'off' && (input.startTime || input.endTime)) errors.push({ field: 'startTime', message: 'a day off has no hours' });
  if (input.kind === 'work' && input.startTime && input.startTime === input.endTime)
    errors.push({ field: 'endTime', message: 'a shift cannot end when it starts' });
  if (errors.length > 0) throw invalidPlanFields(errors);
  await checkDriver(tx, input.driverId);
  const values = {
    kind: input.kind,
    start_time: input.startTime ?? null,
    end_time: input.endTime ?? null,
    note: input.note ?? null,
    created_by_name: caller.name,
  };
  const row = await tx
    .insertInto('shift_exceptions')
    .values({ driver_id: input.driverId, on_date: input.onDate, ...values })
    .onConflict((oc) => oc.columns(['driver_id', 'on_date']).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  await checkNoOverlap(tx, input.driverId, addDays(input.onDate, -1), 3, zone, 'startTime');
  const view = exceptionView(row);
  await recordAudit(tx, caller, {
    action: 'shift_exception.saved',
    entityType: 'driver',
    entityId: input.driverId,
    after: { onDate: view.onDate, kind: view.kind, startTime: view.startTime, endTime: view.endTime },
  });
  await announce(tx, caller, 'capacity.changed', { reason: 'planning.changed', driverId: input.driverId });
  return view;
}

export async function listShiftExceptions(tx: TenantTx, driverId: string | undefined): Promise<ShiftException[]> {
  let q = tx.selectFrom('shift_exceptions').selectAll().orderBy('on_date');
  if (driverId) q = q.where('driver_id', '=', driverId);
  return (await q.execute()).map(exceptionView);
}

export async function deleteShiftException(tx: TenantTx, caller: Caller, id: string): Promise<void> {
  const row = await tx.deleteFrom('shift_exceptions').where('id', '=', id).returning(['driver_id', 'on_date']).executeTakeFirst();
  if (!row) throw notFound('shift exception', id);
  await recordAudit(tx, caller, {
    action: 'shift_exception.deleted',
    entityType: 'driver',
    entityId: row.driver_id,
    before: { onDate: day(row.on_date) },
  });
  await announce(tx, caller, 'capacity.changed', { reason: 'planning.changed', driverId: row.driver_id });
}

// --- maintenance windows

type WindowRow = {
  id: string;
  equipment_id: string;
  asset_tag: string;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  cancelled_at: Date | null;
};
const windowView = (r: WindowRow): MaintenanceWindow => ({
  id: r.id,
  equipmentId: r.equipment_id,
  assetTag: r.asset_tag,
  startsAt: new Date(r.starts_at).toISOString(),
  endsAt: new Date(r.ends_at).toISOString(),
  reason: r.reason,
  cancelled: r.cancelled_at !== null,
});

export async function createMaintenanceWindow(tx: TenantTx, caller: Caller, input: CreateMaintenanceWindow): Promise<MaintenanceWindow> {
  if (Date.parse(input.endsAt) <= Date.parse(input.startsAt)) throw invalidPlan('endsAt', 'ends before it starts');
  const machine = await findEquipment(tx, input.equipmentId);
  if (!machine || machine.status === 'retired') throw invalidPlan('equipmentId', 'unknown or retired equipment');
  // A window takes the machine out of matching: serialise with a pass that holds the machine.
  await lockEquipment(tx, input.equipmentId);
  const overlapping = await tx
    .selectFrom('maintenance_windows')
    .select('id')
    .where('equipment_id', '=', input.equipmentId)
    .where('cancelled_at', 'is', null)
    .where('starts_at', '<', new Date(input.endsAt))
    .where('ends_at', '>', new Date(input.startsAt))
    .executeTakeFirst();
  if (overlapping) throw invalidPlan('startsAt', 'overlaps another maintenance window of this machine');
  const row = await tx
    .insertInto('maintenance_windows')
    .values({
      equipment_id: input.equipmentId,
      starts_at: input.startsAt,
      ends_at: input.endsAt,
      reason: input.reason,
      created_by_name: caller.name,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = windowView({ ...row, asset_tag: machine.asset_tag });
  await recordAudit(tx, caller, {
    action: 'maintenance_window.created',
    entityType: 'equipment',
    entityId: input.equipmentId,
    after: { startsAt: view.startsAt, endsAt: view.endsAt, reason: view.reason, id: view.id },
  });
  return view;
}

export async function listMaintenanceWindows(tx: TenantTx, equipmentId: string | undefined): Promise<MaintenanceWindow[]> {
  let q = tx
    .selectFrom('maintenance_windows as w')
    .innerJoin('equipment as e', 'e.id', 'w.equipment_id')
    .select(['w.id', 'w.equipment_id', 'e.asset_tag', 'w.starts_at', 'w.ends_at', 'w.reason', 'w.cancelled_at'])
    .where('w.ends_at', '>', sql<Date>`now() - interval '30 days'`)
    .orderBy('w.starts_at');
  if (equipmentId) q = q.where('w.equipment_id', '=', equipmentId);
  return (await q.execute()).map(windowView);
}

export async function cancelMaintenanceWindow(tx: TenantTx, caller: Caller, id: string): Promise<MaintenanceWindow> {
  const row = await tx
    .updateTable('maintenance_windows')
    .set({ cancelled_at: new Date() })
    .where('id', '=', id)
    .where('cancelled_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('maintenance window', id);
  const machine = await findEquipment(tx, row.equipment_id);
  if (!machine) throw notFound('equipment', row.equipment_id);
  await recordAudit(tx, caller, {
    action: 'maintenance_window.cancelled',
    entityType: 'equipment',
    entityId: row.equipment_id,
    before: { window: id },
  });
  await announce(tx, caller, 'capacity.changed', {
    reason: 'planning.changed',
    equipmentId: row.equipment_id,
    equipmentTypeId: machine.equipment_type_id,
  });
  return windowView({ ...row, asset_tag: machine.asset_tag });
}
