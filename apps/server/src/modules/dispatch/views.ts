import { sql } from 'kysely';
import { ACTIVE_DISPATCH_STATUSES, DISPATCH_STATUSES, type Dispatch, type DispatchStatus } from '@yardmaster/contracts';
import type { Selectable } from 'kysely';
import type { DispatchesTable } from './dispatch.tables.js';

export type DispatchRow = Selectable<DispatchesTable>;

/** `'a', 'b'` for SQL `in (…)`, generated from the contract's state machine (never written out). */
export const statusListSql = (statuses: readonly DispatchStatus[]) =>
  sql.raw(statuses.map((s) => `'${DISPATCH_STATUSES.includes(s) ? s : ''}'`).join(', '));
/** `in (…)` list of the active statuses (a driver and equipment held). */
export const ACTIVE_SQL = statusListSql(ACTIVE_DISPATCH_STATUSES);

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export function dispatchView(row: DispatchRow & { work_order_number: string }): Dispatch {
  return {
    id: row.id,
    workOrderId: row.work_order_id,
    workOrderNumber: row.work_order_number,
    lineId: row.line_id,
    equipmentTypeId: row.equipment_type_id,
    requestedEquipmentId: row.requested_equipment_id,
    siteId: row.site_id,
    priority: row.priority,
    status: row.status,
    requestedStart: row.requested_start.toISOString(),
    queuedAt: iso(row.queued_at),
    equipmentId: row.equipment_id,
    driverId: row.driver_id,
    assignedBy:
      row.assigned_by_kind && row.assigned_by_subject
        ? { kind: row.assigned_by_kind, subject: row.assigned_by_subject, name: row.assigned_by_name ?? row.assigned_by_subject }
        : null,
    notes: row.notes,
    declineReason: row.decline_reason,
    declinedBy: row.declined_driver_ids[row.declined_driver_ids.length - 1] ?? null,
    recallReason: row.recall_reason,
    cancelReason: row.cancel_reason,
    hold: row.hold_reason ? { reason: row.hold_reason, notBefore: iso(row.hold_not_before) } : null,
    timestamps: {
      createdAt: row.created_at.toISOString(),
      heldAt: iso(row.held_at),
      dispatchedAt: iso(row.dispatched_at),
      enRouteAt: iso(row.en_route_at),
      onSiteAt: iso(row.on_site_at),
      returningAt: iso(row.returning_at),
      completedAt: iso(row.completed_at),
      recalledAt: iso(row.recalled_at),
      cancelledAt: iso(row.cancelled_at),
    },
    version: row.version,
  };
}
