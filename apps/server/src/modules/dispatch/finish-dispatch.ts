import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { recordStatusReport } from '../reporting/index.js';
import { releaseCtes, type LoadedDispatch, type ReportContext } from './dispatch.repo.js';
import type { MatchScope } from './match-queue.js';

/**
 * Frees the equipment and driver of a finished (completed or recalled) dispatch and writes its
 * status report, in one statement (`c`: the names it records, read when the command began).
 * Returns what matching should look at: requests of the freed machine's type and of every type the
 * freed driver can serve.
 */
export async function finishDispatch(tx: TenantTx, caller: Caller, row: LoadedDispatch, c: ReportContext): Promise<MatchScope> {
  if (!row.equipment_id || !row.driver_id || !row.dispatched_at) return { typeIds: [] };
  const alongside = releaseCtes(row.equipment_id, row.driver_id);
  await recordStatusReport(
    tx,
    caller,
    {
      dispatchId: row.id,
      workOrder: { id: row.work_order_id, number: row.work_order_number, description: c.wo_description ?? '' },
      site: { id: row.site_id, name: c.site_name ?? '', address: c.site_address ?? null },
      equipment: {
        id: row.equipment_id,
        assetTag: c.asset_tag ?? '',
        name: c.equipment_name ?? '',
        typeId: row.equipment_type_id,
        typeCode: c.type_code ?? '',
        typeName: c.type_name ?? '',
      },
      driver: { id: row.driver_id, name: c.driver_name ?? '' },
      dispatcher: {
        kind: row.assigned_by_kind ?? 'system',
        subject: row.assigned_by_subject ?? 'system',
        name: row.assigned_by_name ?? 'system',
      },
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
    },
    { alongside },
  );
  return { typeIds: [row.equipment_type_id], freedDriverId: row.driver_id };
}
