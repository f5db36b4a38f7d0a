import { sql } from 'kysely';
import type { Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { releaseResources } from './dispatch.repo.js';
import { matchQueue } from './match-queue.js';
import { openCommand } from './open-command.js';
import { changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/**
 * The driver declines before setting off: the dispatch goes back to its ORIGINAL place in the queue
 * (its queue time and sequence are kept) and is not offered to that driver again.
 */
export async function declineDispatch(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  reason: string | undefined,
): Promise<Dispatch> {
  const { settings, row } = await openCommand(tx, caller, id, expected, 'decline');
  const driverId = row.driver_id;
  const equipmentId = row.equipment_id;
  const after = await changeDispatch(
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
    { extraDriverIds: driverId ? [driverId] : [] },
  );
  if (equipmentId && driverId) await releaseResources(tx, equipmentId, driverId);
  // The freed machine's type and whatever the freed driver can do (the declined request included).
  const assigned = await matchQueue(tx, caller, settings, {
    typeIds: [row.equipment_type_id],
    ...(driverId ? { freedDriverId: driverId } : {}),
  });
  return dispatchView(assigned.find((a) => a.id === after.id) ?? after);
}
