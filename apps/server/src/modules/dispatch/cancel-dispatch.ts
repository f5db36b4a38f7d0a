import type { Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { openCommand } from './open-command.js';
import { changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/**
 * Cancels a scheduled or queued dispatch. It frees no resource, and under the fair-queue rule no
 * request behind it was held back by it (each request is tried on its own), so no matching is needed.
 */
export async function cancelDispatch(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  reason: string | undefined,
): Promise<Dispatch> {
  const { row } = await openCommand(tx, caller, id, expected, 'cancel');
  const after = await changeDispatch(
    tx,
    caller,
    row,
    { status: 'cancelled', cancelled_at: new Date(), cancel_reason: reason ?? null },
    'dispatch.cancelled',
  );
  return dispatchView(after);
}
