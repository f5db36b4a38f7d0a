import { canMove, DISPATCH_TRANSITIONS, isActiveDispatch, type DispatchCommand, type DispatchSettings } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound, staleVersion } from '../../platform/errors.js';
import { lockQueueAndDispatch, type LoadedDispatch, type ReportContext } from './dispatch.repo.js';
import { invalidTransition } from './dispatch.errors.js';
import { assertMayMove } from './dispatch.policy.js';

const says = (status: string): string => status.replace('_', ' ');

/** Why the state machine refuses `command` from the dispatch's status, as a dispatcher would read it. */
function refusal(command: DispatchCommand, row: LoadedDispatch): string {
  switch (command) {
    case 'decline':
      return 'only a dispatch not yet en route can be declined';
    case 'recall':
      return `a ${row.status} dispatch cannot be recalled`;
    case 'cancel':
      return `a ${row.status} dispatch cannot be cancelled${isActiveDispatch(row.status) ? '; recall it instead' : ''}`;
    case 'release':
    case 'defer':
      return `only held work can be released; this dispatch is ${says(row.status)}`;
    case 'reprioritise':
      return 'the priority can change only until the equipment is on its way';
    case 'assign':
    case 'promote':
      return `a ${row.status} dispatch cannot be dispatched again`;
    case 'en_route':
    case 'on_site':
    case 'returning':
    case 'complete':
      return `a ${says(row.status)} dispatch cannot become ${says(DISPATCH_TRANSITIONS[command].to)}`;
  }
}

/**
 * The start of every command on one dispatch, in one round trip: the tenant's dispatch queue lock
 * (always first), the settings, the dispatch row locked and the names a status report would
 * record; then the If-Match version, who may
 * make the move (policy) and whether the state machine allows it from here.
 */
export async function openCommand(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  command: DispatchCommand,
): Promise<{ settings: DispatchSettings; row: LoadedDispatch; context: ReportContext }> {
  const { settings, row, context } = await lockQueueAndDispatch(tx, id);
  if (!row) throw notFound('dispatch', id);
  // A stale version answers 409 before anything else (a driver racing a change to their own job
  // learns it changed, not that it vanished).
  if (expected !== undefined && row.version !== expected) throw staleVersion('dispatch', id);
  await assertMayMove(tx, caller, command, row);
  if (!canMove(command, row.status))
    throw invalidTransition(refusal(command, row), row.status, command === 'reprioritise' ? 'priority' : 'status');
  return { settings, row, context };
}
