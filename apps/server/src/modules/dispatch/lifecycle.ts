import { sql, type UpdateObject } from 'kysely';
import type { Dispatch, Priority } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTables, TenantTx } from '../../platform/db/index.js';
import { conflict, notFound, staleVersion } from '../../platform/errors.js';
import { holdAuditChain, recordAudit } from '../audit/index.js';
import { findEquipment, findEquipmentType, markEquipmentDispatched, releaseEquipment, requiredQualificationIds } from '../fleet/index.js';
import { findDriver, findDriverBySubject, touchDriverIdle } from '../people/index.js';
import { recordStatusReport } from '../reporting/index.js';
import { findSite } from '../sites/index.js';
import { announceDispatch, assignDispatch, loadDispatch } from './assign.js';
import { matchQueue } from './match-queue.js';
import { dispatchView, type DispatchRow } from './views.js';
import { insertDispatch } from './work-orders.js';
import { refreshWorkOrderStatus } from './work-order-status.js';

type Loaded = DispatchRow & { work_order_number: string };

const NEXT: Partial<Record<DispatchRow['status'], DispatchRow['status']>> = {
  dispatched: 'en_route',
  en_route: 'on_site',
  on_site: 'returning',
  returning: 'completed',
};
const ACTIVE = new Set<DispatchRow['status']>(['dispatched', 'en_route', 'on_site', 'returning']);

async function lockDispatch(tx: TenantTx, id: string, expected: number | undefined): Promise<Loaded> {
  // The tenant's write order first (as queue matching does), then the row: no lock-order deadlocks,
  // and the matcher never has to skip a queued row that is being changed.
  await holdAuditChain(tx);
  const row = await loadDispatch(tx, id, true);
  if (!row) throw notFound('dispatch', id);
  if (expected !== undefined && row.version !== expected) throw staleVersion('dispatch', id);
  return row;
}

/** Drivers act only on their own dispatches; to others' they get a 404, as if they did not exist. */
async function checkDriverOwns(tx: TenantTx, caller: Caller, row: Loaded): Promise<void> {
  if (caller.roles.includes('dispatcher') || caller.roles.includes('admin')) return;
  const me = await findDriverBySubject(tx, caller.subject);
  if (!me || me.id !== row.driver_id) throw notFound('dispatch', row.id);
}

async function write(
  tx: TenantTx,
  caller: Caller,
  before: Loaded,
  changes: UpdateObject<TenantTables, 'dispatches', 'dispatches'>,
  action: string,
  extraDriverIds: string[] = [],
): Promise<Loaded> {
  await tx
    .updateTable('dispatches')
    .set({ ...changes, version: before.version + 1, updated_at: new Date() })
    .where('id', '=', before.id)
    .execute();
  const after = await loadDispatch(tx, before.id);
  if (!after) throw new Error('dispatch vanished');
  await recordAudit(tx, caller, { action, entityType: 'dispatch', entityId: before.id, before: dispatchView(before), after: dispatchView(after) });
  await announceDispatch(tx, action, after, extraDriverIds);
  await refreshWorkOrderStatus(tx, after.work_order_id);
  return after;
}

/** Frees the equipment and driver of a finished dispatch and writes its status report. */
async function finish(tx: TenantTx, caller: Caller, row: Loaded): Promise<void> {
  if (!row.equipment_id || !row.driver_id || !row.dispatched_at) return;
  await releaseEquipment(tx, row.equipment_id);
  await touchDriverIdle(tx, row.driver_id);
  const [workOrder, site, equipment, driver] = await Promise.all([
    tx.selectFrom('work_orders').select(['id', 'number', 'description']).where('id', '=', row.work_order_id).executeTakeFirstOrThrow(),
    findSite(tx, row.site_id),
    findEquipment(tx, row.equipment_id),
    findDriver(tx, row.driver_id),
  ]);
  const type = equipment ? await findEquipmentType(tx, equipment.equipment_type_id) : undefined;
  await recordStatusReport(tx, caller, {
    dispatchId: row.id,
    workOrder: { id: workOrder.id, number: workOrder.number, description: workOrder.description },
    site: { id: row.site_id, name: site?.name ?? '', address: site?.address ?? null },
    equipment: {
      id: row.equipment_id,
      assetTag: equipment?.asset_tag ?? '',
      name: equipment?.name ?? '',
      typeId: row.equipment_type_id,
      typeCode: type?.code ?? '',
      typeName: type?.name ?? '',
    },
    driver: { id: row.driver_id, name: driver?.name ?? '' },
    dispatcher: { kind: row.assigned_by_kind ?? 'system', subject: row.assigned_by_subject ?? 'system', name: row.assigned_by_name ?? 'system' },
    priority: row.priority,
    finalStatus: row.status === 'recalled' ? 'recalled' : 'completed',
    timestamps: {
      requestedAt: row.requested_start,
      createdAt: row.created_at,
      queuedAt: row.queued_at,
      dispatchedAt: row.dispatched_at,
      enRouteAt: row.en_route_at,
      onSiteAt: row.on_site_at,
      returningAt: row.returning_at,
      completedAt: row.completed_at,
      recalledAt: row.recalled_at,
    },
    notes: row.notes,
    recallReason: row.recall_reason,
  });
}

/** Driver (own dispatch) or dispatcher moves a dispatch one step: en route, on site, returning, completed. */
export async function advanceDispatch(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  input: { status: 'en_route' | 'on_site' | 'returning' | 'completed'; notes?: string },
): Promise<Dispatch> {
  const row = await lockDispatch(tx, id, expected);
  await checkDriverOwns(tx, caller, row);
  const allowed = input.status === 'completed' ? ACTIVE.has(row.status) : NEXT[row.status] === input.status;
  if (!allowed) throw conflict(`a ${row.status.replace('_', ' ')} dispatch cannot become ${input.status.replace('_', ' ')}`, [{ field: 'status', message: `currently ${row.status}` }]);
  const now = new Date();
  const stamp = { en_route: { en_route_at: now }, on_site: { on_site_at: now }, returning: { returning_at: now }, completed: { completed_at: now } }[input.status];
  const notes = input.notes ? (row.notes ? `${row.notes}\n${input.notes}` : input.notes) : row.notes;
  const after = await write(tx, caller, row, { status: input.status, ...stamp, notes }, `dispatch.${input.status}`);
  if (input.status === 'completed') {
    await finish(tx, caller, after);
    await matchQueue(tx, caller);
  }
  return dispatchView(after);
}

/** The driver declines before setting off: the dispatch goes back to its original place in the queue. */
export async function declineDispatch(tx: TenantTx, caller: Caller, id: string, expected: number | undefined, reason: string | undefined): Promise<Dispatch> {
  const row = await lockDispatch(tx, id, expected);
  await checkDriverOwns(tx, caller, row);
  if (row.status !== 'dispatched') throw conflict('only a dispatch not yet en route can be declined', [{ field: 'status', message: `currently ${row.status}` }]);
  const driverId = row.driver_id;
  const equipmentId = row.equipment_id;
  const after = await write(
    tx,
    caller,
    row,
    {
      status: 'queued',
      equipment_id: null,
      driver_id: null,
      dispatched_at: null,
      assigned_by_kind: null,
      assigned_by_subject: null,
      assigned_by_name: null,
      decline_reason: reason ?? null,
      declined_driver_ids: sql<string[]>`array_append(declined_driver_ids, ${driverId}::uuid)`,
    },
    'dispatch.declined',
    driverId ? [driverId] : [],
  );
  if (equipmentId) await releaseEquipment(tx, equipmentId);
  if (driverId) await touchDriverIdle(tx, driverId);
  await matchQueue(tx, caller);
  return dispatchView((await loadDispatch(tx, after.id)) ?? after);
}

/** A dispatcher recalls an active dispatch; its line goes back to the queue as a new dispatch. */
export async function recallDispatch(tx: TenantTx, caller: Caller, id: string, expected: number | undefined, reason: string): Promise<Dispatch> {
  const row = await lockDispatch(tx, id, expected);
  if (!ACTIVE.has(row.status)) throw conflict(`a ${row.status} dispatch cannot be recalled`, [{ field: 'status', message: `currently ${row.status}` }]);
  const after = await write(tx, caller, row, { status: 'recalled', recalled_at: new Date(), recall_reason: reason }, 'dispatch.recalled');
  await finish(tx, caller, after);
  const replacement = await insertDispatch(tx, {
    workOrderId: row.work_order_id,
    lineId: row.line_id,
    equipmentTypeId: row.equipment_type_id,
    requestedEquipmentId: row.requested_equipment_id,
    siteId: row.site_id,
    priority: row.priority,
    requestedStart: row.requested_start,
    scheduled: false,
    replaces: row.id,
  });
  const queued = await loadDispatch(tx, replacement);
  if (queued) await announceDispatch(tx, 'dispatch.queued', queued);
  await refreshWorkOrderStatus(tx, row.work_order_id);
  await matchQueue(tx, caller);
  return dispatchView(after);
}

export async function cancelDispatch(tx: TenantTx, caller: Caller, id: string, expected: number | undefined, reason: string | undefined): Promise<Dispatch> {
  const row = await lockDispatch(tx, id, expected);
  if (row.status !== 'scheduled' && row.status !== 'queued') {
    throw conflict(`a ${row.status} dispatch cannot be cancelled${ACTIVE.has(row.status) ? '; recall it instead' : ''}`, [{ field: 'status', message: `currently ${row.status}` }]);
  }
  const after = await write(tx, caller, row, { status: 'cancelled', cancelled_at: new Date(), cancel_reason: reason ?? null }, 'dispatch.cancelled');
  // Cancelling can unblock nothing by itself, but a cancelled head of a specific-equipment line can.
  await matchQueue(tx, caller);
  return dispatchView(after);
}

export async function reprioritiseDispatch(tx: TenantTx, caller: Caller, id: string, expected: number | undefined, priority: Priority): Promise<Dispatch> {
  const row = await lockDispatch(tx, id, expected);
  if (!['scheduled', 'queued', 'dispatched'].includes(row.status)) {
    throw conflict('the priority can change only until the equipment is on its way', [{ field: 'priority', message: `currently ${row.status}` }]);
  }
  const after = await write(tx, caller, row, { priority }, 'dispatch.reprioritised');
  if (row.status === 'queued') await matchQueue(tx, caller);
  return dispatchView(after);
}

/** A dispatcher picks the equipment and driver; validated exactly like automatic assignment. */
export async function dispatchManually(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  input: { equipmentId: string; driverId: string },
): Promise<Dispatch> {
  const row = await lockDispatch(tx, id, expected);
  if (row.status !== 'queued' && row.status !== 'scheduled') throw conflict(`a ${row.status} dispatch cannot be dispatched again`, [{ field: 'status', message: `currently ${row.status}` }]);
  const equipment = (await sql<{ id: string; status: string; equipment_type_id: string; asset_tag: string }>`
    select id, status, equipment_type_id, asset_tag from equipment where id = ${input.equipmentId} for update`.execute(tx)).rows[0];
  if (!equipment) throw conflict('equipment not found', [{ field: 'equipmentId', message: 'unknown equipment' }]);
  if (equipment.equipment_type_id !== row.equipment_type_id) throw conflict(`equipment ${equipment.asset_tag} is not of the requested type`, [{ field: 'equipmentId', message: 'wrong type' }]);
  if (row.requested_equipment_id && row.requested_equipment_id !== equipment.id) throw conflict('the work order asked for a specific piece of equipment', [{ field: 'equipmentId', message: 'not the requested equipment' }]);
  if (equipment.status !== 'available') throw conflict(`equipment ${equipment.asset_tag} is no longer available (${equipment.status})`, [{ field: 'equipmentId', message: equipment.status }]);
  const driver = (await sql<{ id: string; duty_status: string; archived_at: Date | null; name: string }>`
    select id, duty_status, archived_at, name from drivers where id = ${input.driverId} for update`.execute(tx)).rows[0];
  if (!driver || driver.archived_at) throw conflict('driver not found', [{ field: 'driverId', message: 'unknown driver' }]);
  if (driver.duty_status !== 'on_duty') throw conflict(`${driver.name} is off duty`, [{ field: 'driverId', message: 'off duty' }]);
  const busy = await tx.selectFrom('dispatches').select('id').where('driver_id', '=', driver.id).where('status', 'in', ['dispatched', 'en_route', 'on_site', 'returning']).executeTakeFirst();
  if (busy) throw conflict(`${driver.name} is already on a dispatch`, [{ field: 'driverId', message: 'busy' }]);
  const needed = await requiredQualificationIds(tx, row.equipment_type_id);
  if (needed.length > 0) {
    const held = await tx
      .selectFrom('driver_qualifications')
      .select('qualification_id')
      .where('driver_id', '=', driver.id)
      .where('qualification_id', 'in', needed)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
      .execute();
    if (held.length < needed.length) throw conflict(`${driver.name} lacks a required qualification (or holds it expired)`, [{ field: 'driverId', message: 'not qualified' }]);
  }
  if (row.status === 'scheduled') {
    await tx.updateTable('dispatches').set({ status: 'queued', queued_at: new Date(), queue_seq: sql<number>`nextval('dispatch_queue_seq')` }).where('id', '=', row.id).execute();
  }
  await markEquipmentDispatched(tx, equipment.id);
  await assignDispatch(tx, caller, row.id, equipment.id, driver.id);
  const after = await loadDispatch(tx, row.id);
  if (!after) throw new Error('dispatch vanished');
  return dispatchView(after);
}

/** Moves scheduled dispatches whose start (minus lead time) has come into the queue; returns how many. */
export async function promoteDueScheduled(tx: TenantTx, caller: Caller, leadMinutes: number): Promise<number> {
  await holdAuditChain(tx);
  const due = await tx
    .selectFrom('dispatches')
    .select('id')
    .where('status', '=', 'scheduled')
    .where('requested_start', '<=', sql<Date>`now() + make_interval(mins => ${leadMinutes})`)
    .orderBy('requested_start')
    .limit(1000)
    .forUpdate()
    .skipLocked()
    .execute();
  for (const { id } of due) {
    const row = await loadDispatch(tx, id);
    if (!row) continue;
    await write(tx, caller, row, { status: 'queued', queued_at: sql<Date>`clock_timestamp()`, queue_seq: sql<number>`nextval('dispatch_queue_seq')` }, 'dispatch.queued');
  }
  return due.length;
}

