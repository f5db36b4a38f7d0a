import type { Dispatch, Priority } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { matchQueue } from './match-queue.js';
import { openCommand } from './open-command.js';
import { changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/** Changes the priority until the equipment is on its way; a queued request is matched again at its new place. */
export async function reprioritiseDispatch(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  priority: Priority,
): Promise<Dispatch> {
  const { settings, row } = await openCommand(tx, caller, id, expected, 'reprioritise');
  const after = await changeDispatch(tx, caller, row, { priority }, 'dispatch.reprioritised');
  if (row.status === 'queued') await matchQueue(tx, caller, settings, { typeIds: [row.equipment_type_id] });
  return dispatchView(after);
}
