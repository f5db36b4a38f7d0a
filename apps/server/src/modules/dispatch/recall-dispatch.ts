import type { Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { recordAudit } from '../audit/index.js';
import { holdNewDispatch, insertDispatches } from './dispatch.repo.js';
import { finishDispatch } from './finish-dispatch.js';
import { matchQueue } from './match-queue.js';
import { openCommand } from './open-command.js';
import { announceDispatch, changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/**
 * A dispatcher recalls an active dispatch; its line goes back to the queue as a new dispatch
 * (audited from birth), or, with `hold`, the new dispatch is born held until a dispatcher releases
 * it (`release-dispatch.ts`).
 */
export async function recallDispatch(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  reason: string,
  hold?: { reason: string; notBefore?: string | null | undefined },
): Promise<Dispatch> {
  const { settings, row, context } = await openCommand(tx, caller, id, expected, 'recall');
  const after = await changeDispatch(
    tx,
    caller,
    row,
    { status: 'recalled', recalled_at: new Date(), recall_reason: reason },
    'dispatch.recalled',
    {
      alsoCounts: [hold ? 'held' : 'queued'],
    },
  );
  const scope = await finishDispatch(tx, caller, after, context);
  const [replacement] = await insertDispatches(tx, [
    {
      workOrderId: row.work_order_id,
      lineId: row.line_id,
      equipmentTypeId: row.equipment_type_id,
      requestedEquipmentId: row.requested_equipment_id,
      siteId: row.site_id,
      priority: row.priority,
      requestedStart: row.requested_start,
      scheduled: false,
      replaces: row.id,
    },
  ]);
  if (replacement && hold) {
    const held = {
      ...(await holdNewDispatch(tx, replacement.id, hold.reason, hold.notBefore ? new Date(hold.notBefore) : null)),
      work_order_number: row.work_order_number,
    };
    await recordAudit(tx, caller, {
      action: 'dispatch.held',
      entityType: 'dispatch',
      entityId: held.id,
      after: { ...dispatchView(held), replaces: row.id },
    });
    await announceDispatch(tx, 'dispatch.held', held);
  } else if (replacement) {
    const queued = { ...replacement, work_order_number: row.work_order_number };
    await recordAudit(tx, caller, {
      action: 'dispatch.queued',
      entityType: 'dispatch',
      entityId: queued.id,
      after: { ...dispatchView(queued), replaces: row.id },
    });
    await announceDispatch(tx, 'dispatch.queued', queued);
  }
  await matchQueue(tx, caller, settings, scope);
  return dispatchView(after);
}
