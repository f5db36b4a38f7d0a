import type { TenantTx } from '../../platform/db/index.js';

/**
 * A work order's status follows its dispatches: cancelled when all are cancelled; completed when
 * none is waiting or active and at least one completed; assigned while any is active; else pending.
 * Recalled dispatches were replaced by new ones and do not count.
 */
export async function refreshWorkOrderStatus(tx: TenantTx, workOrderId: string): Promise<void> {
  const rows = await tx.selectFrom('dispatches').select('status').where('work_order_id', '=', workOrderId).where('status', '<>', 'recalled').execute();
  const statuses = rows.map((r) => r.status);
  let status: 'pending' | 'assigned' | 'completed' | 'cancelled';
  if (statuses.length > 0 && statuses.every((s) => s === 'cancelled')) status = 'cancelled';
  else if (statuses.some((s) => s === 'dispatched' || s === 'en_route' || s === 'on_site' || s === 'returning')) status = 'assigned';
  else if (statuses.every((s) => s === 'completed' || s === 'cancelled')) status = 'completed';
  else status = 'pending';
  await tx.updateTable('work_orders').set({ status, updated_at: new Date() }).where('id', '=', workOrderId).where('status', '<>', status).execute();
}
