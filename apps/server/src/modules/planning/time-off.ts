import { sql } from 'kysely';
import type { CreateTimeOff, TimeOff } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { conflict, notFound } from '../../platform/errors.js';
import { announce } from '../../platform/events.js';
import { recordAudit } from '../audit/index.js';
import { findDriver, findDriverBySubject, lockDriver } from '../people/index.js';
import { invalidPlan, invalidPlanFields } from './planning.errors.js';
import { isRealDay } from './shifts.js';

type Row = {
  id: string;
  driver_id: string;
  driver_name: string;
  first_day: string | Date;
  last_day: string | Date;
  reason: string | null;
  status: TimeOff['status'];
  requested_by_name: string;
  decided_by_name: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  version: number;
  created_at: Date;
};

const dayOf = (d: string | Date): string => (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));
const view = (r: Row): TimeOff => ({
  id: r.id,
  driverId: r.driver_id,
  driverName: r.driver_name,
  firstDay: dayOf(r.first_day),
  lastDay: dayOf(r.last_day),
  reason: r.reason,
  status: r.status,
  requestedBy: r.requested_by_name,
  decidedBy: r.decided_by_name,
  decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null,
  decisionNote: r.decision_note,
  version: r.version,
  createdAt: new Date(r.created_at).toISOString(),
});

const isOnlyDriver = (caller: Caller): boolean => caller.roles.length > 0 && caller.roles.every((r) => r === 'driver');

/** The driver a caller with only the driver role is (their token's subject linked to a driver). */
async function ownDriverId(tx: TenantTx, caller: Caller): Promise<string | null> {
  const me = await findDriverBySubject(tx, caller.subject);
  return me?.id ?? null;
}

async function selectOne(tx: TenantTx, id: string): Promise<Row | undefined> {
  const { rows } =
    await sql<Row>`select l.*, dr.name as driver_name from time_off_requests l join drivers dr on dr.id = l.driver_id where l.id = ${id}`.execute(
      tx,
    );
  return rows[0];
}

/** A driver asks for days off (for themself); a dispatcher or admin may file it for any driver. */
export async function requestTimeOff(tx: TenantTx, caller: Caller, input: CreateTimeOff): Promise<TimeOff> {
  const errors: Array<{ field: string; message: string }> = [];
  if (!isRealDay(input.firstDay)) errors.push({ field: 'firstDay', message: 'not a real date' });
  if (!isRealDay(input.lastDay)) errors.push({ field: 'lastDay', message: 'not a real date' });
  else if (input.lastDay < input.firstDay) errors.push({ field: 'lastDay', message: 'the leave ends before it starts' });
  if (errors.length > 0) throw invalidPlanFields(errors);
  let driverId: string;
  if (isOnlyDriver(caller)) {
    const own = await ownDriverId(tx, caller);
    if (!own) throw invalidPlan('driverId', 'your sign-in is not linked to a driver: ask a dispatcher');
    driverId = own;
    if (input.driverId && input.driverId !== driverId) throw invalidPlan('driverId', 'a driver asks for their own leave');
  } else {
    if (!input.driverId) throw invalidPlan('driverId', 'whose leave is it?');
    const driver = await findDriver(tx, input.driverId);
    if (!driver || driver.archived_at !== null) throw invalidPlan('driverId', 'unknown or archived driver');
    driverId = driver.id;
  }
  const { rows } = await sql<{ id: string }>`
    select id from time_off_requests where driver_id = ${driverId} and status in ('requested', 'approved')
      and first_day <= ${input.lastDay}::date and last_day >= ${input.firstDay}::date limit 1`.execute(tx);
  if (rows[0]) throw invalidPlan('firstDay', 'overlaps another leave request of this driver that is pending or approved');
  const row = await tx
    .insertInto('time_off_requests')
    .values({
      driver_id: driverId,
      first_day: input.firstDay,
      last_day: input.lastDay,
      reason: input.reason ?? null,
      requested_by_subject: caller.subject,
      requested_by_name: caller.name,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const saved = await selectOne(tx, row.id);
  if (!saved) throw notFound('time off request', row.id);
  await recordAudit(tx, caller, {
    action: 'time_off.requested',
    entityType: 'time_off',
    entityId: row.id,
    after: { driverId, firstDay: input.firstDay, lastDay: input.lastDay, reason: input.reason ?? null },
  });
  return view(saved);
}

export async function listTimeOff(
  tx: TenantTx,
  caller: Caller,
  query: { status?: TimeOff['status']; driverId?: string },
): Promise<TimeOff[]> {
  const driverId = isOnlyDriver(caller) ? await ownDriverId(tx, caller) : query.driverId;
  if (driverId === null) return [];
  const { rows } = await sql<Row>`
    select l.*, dr.name as driver_name from time_off_requests l join drivers dr on dr.id = l.driver_id
    where true ${query.status ? sql`and l.status = ${query.status}` : sql``} ${driverId ? sql`and l.driver_id = ${driverId}` : sql``}
    order by l.first_day desc, l.created_at desc limit 500`.execute(tx);
  return rows.map(view);
}

/**
 * Approves, declines or cancels a request (If-Match). Approve/decline: a pending request, by a
 * dispatcher or admin. Cancel: the driver (their own, pending or approved) or a dispatcher/admin.
 * Every step is audited with who, when and the note.
 */
export async function decideTimeOff(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  to: 'approved' | 'declined' | 'cancelled',
  note: string | null,
): Promise<TimeOff> {
  const row = await selectOne(tx, id);
  if (!row) throw notFound('time off request', id);
  if (isOnlyDriver(caller)) {
    if (to !== 'cancelled' || row.driver_id !== (await ownDriverId(tx, caller))) throw notFound('time off request', id);
  }
  if (expected !== undefined && row.version !== expected)
    throw conflict(`time off request ${id} was changed by someone else; reload it and try again`);
  // Approving takes the driver out of matching: serialise with a pass that holds the driver.
  if (to === 'approved') await lockDriver(tx, row.driver_id);
  const allowedFrom = to === 'cancelled' ? ['requested', 'approved'] : ['requested'];
  if (!allowedFrom.includes(row.status))
    throw conflict(`the request is ${row.status}; it cannot be ${to}`, [{ field: 'status', message: `is ${row.status}` }]);
  await tx
    .updateTable('time_off_requests')
    .set({
      status: to,
      decided_by_subject: caller.subject,
      decided_by_name: caller.name,
      decided_at: new Date(),
      decision_note: note,
      version: sql<number>`version + 1`,
    })
    .where('id', '=', id)
    .execute();
  const saved = await selectOne(tx, id);
  if (!saved) throw notFound('time off request', id);
  await recordAudit(tx, caller, {
    action: `time_off.${to}`,
    entityType: 'time_off',
    entityId: id,
    before: { status: row.status },
    after: { status: to, note, driverId: row.driver_id, firstDay: dayOf(row.first_day), lastDay: dayOf(row.last_day) },
  });
  // Leave that no longer holds frees the driver: match what they can serve.
  if (row.status === 'approved') await announce(tx, caller, 'capacity.changed', { reason: 'planning.changed', driverId: row.driver_id });
  return view(saved);
}
