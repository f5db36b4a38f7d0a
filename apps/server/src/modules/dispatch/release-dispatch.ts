import { sql } from 'kysely';
import type { Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { matchQueue } from './match-queue.js';
import { openCommand } from './open-command.js';
import { changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/**
 * A dispatcher releases held work: it joins the queue now (and is matched at once), or, when its
 * "not before" time is still ahead, waits as scheduled work that the sweeper queues at that time.
 * The hold's reason stays on the record.
 */
export async function releaseDispatch(tx: TenantTx, caller: Caller, id: string, expected: number | undefined): Promise<Dispatch> {
  const peek = await openCommand(tx, caller, id, expected, 'release');
  const notBefore = peek.row.hold_not_before;
  if (notBefore && notBefore.getTime() > Date.now()) {
    const after = await changeDispatch(tx, caller, peek.row, { status: 'scheduled', requested_start: notBefore }, 'dispatch.released');
    return dispatchView(after);
  }
  const after = await changeDispatch(
    tx,
    caller,
    peek.row,
    { status: 'queued', queued_at: sql<Date>`clock_timestamp()`, queue_seq: sql<number>`nextval('dispatch_queue_seq')` },
    'dispatch.released',
  );
  const assigned = await matchQueue(tx, caller, peek.settings, { typeIds: [after.equipment_type_id] });
  return dispatchView(assigned.find((a) => a.id === after.id) ?? after);
}
