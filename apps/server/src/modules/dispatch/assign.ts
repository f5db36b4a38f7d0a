import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { recordAudit } from '../audit/index.js';
import { publishEvent } from '../notifications/index.js';
import { dispatchView, type DispatchRow } from './views.js';
import { refreshWorkOrderStatus } from './work-order-status.js';

/** The dispatch with its work order number, as the API shows it. */
export async function loadDispatch(tx: TenantTx, id: string, lock = false): Promise<(DispatchRow & { work_order_number: string }) | undefined> {
  let query = tx
    .selectFrom('dispatches as d')
    .innerJoin('work_orders as w', 'w.id', 'd.work_order_id')
    .selectAll('d')
    .select('w.number as work_order_number')
    .where('d.id', '=', id);
  if (lock) query = query.forUpdate('d');
  return query.executeTakeFirst();
}

/** Publishes a dispatch's new state to the board (and to its driver), same transaction. */
export async function announceDispatch(tx: TenantTx, type: string, row: DispatchRow & { work_order_number: string }, extraDriverIds: string[] = []): Promise<void> {
  const driverIds = [...new Set([row.driver_id, ...extraDriverIds].filter((id): id is string => id !== null))];
  await publishEvent(tx, { type, entityType: 'dispatch', entityId: row.id, data: { dispatch: dispatchView(row) }, driverIds });
}

/**
 * Reserves equipment (already marked dispatched by the caller) and a driver for a queued dispatch:
 * the dispatch row, its audit event and its live event in the caller's transaction. The database
 * re-checks the assignment (unique active indexes, the qualification/duty trigger).
 */
export async function assignDispatch(tx: TenantTx, caller: Caller, dispatchId: string, equipmentId: string, driverId: string): Promise<void> {
  const before = await loadDispatch(tx, dispatchId);
  if (!before) throw new Error(`dispatch ${dispatchId} vanished`);
  await tx
    .updateTable('dispatches')
    .set({
      status: 'dispatched',
      equipment_id: equipmentId,
      driver_id: driverId,
      dispatched_at: new Date(),
      assigned_by_kind: caller.kind,
      assigned_by_subject: caller.subject,
      assigned_by_name: caller.name,
      version: before.version + 1,
      updated_at: new Date(),
    })
    .where('id', '=', dispatchId)
    .execute();
  const after = await loadDispatch(tx, dispatchId);
  if (!after) throw new Error(`dispatch ${dispatchId} vanished`);
  await recordAudit(tx, caller, {
    action: 'dispatch.dispatched',
    entityType: 'dispatch',
    entityId: dispatchId,
    before: dispatchView(before),
    after: dispatchView(after),
  });
  await announceDispatch(tx, 'dispatch.dispatched', after);
  await refreshWorkOrderStatus(tx, after.work_order_id);
}
