import { advanceCommandTo, stampColumnOf, type Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { finishDispatch } from './finish-dispatch.js';
import { matchQueue } from './match-queue.js';
import { openCommand } from './open-command.js';
import { changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/** Driver (own dispatch) or dispatcher moves a dispatch on: en route, on site, returning, completed. */
export async function advanceDispatch(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  input: { status: 'en_route' | 'on_site' | 'returning' | 'completed'; notes?: string },
): Promise<Dispatch> {
  const command = advanceCommandTo(input.status);
  if (!command) throw new Error(`no command moves a dispatch to ${input.status}`);
  const { settings, row, context } = await openCommand(tx, caller, id, expected, command);
  const stamp = stampColumnOf(input.status);
  const notes = input.notes ? (row.notes ? `${row.notes}\n${input.notes}` : input.notes) : row.notes;
  const after = await changeDispatch(
    tx,
    caller,
    row,
    { status: input.status, ...(stamp ? { [stamp]: new Date() } : {}), notes },
    `dispatch.${input.status}`,
  );
  if (input.status === 'completed') {
    const scope = await finishDispatch(tx, caller, after, context);
    // Nothing waits (read under the queue lock), and completing queues nothing: no matching pass.
    if (after.queue_waiting) await matchQueue(tx, caller, settings, scope);
  }
  return dispatchView(after);
}
