import { sql } from 'kysely';
import type { Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { lockManualPick, reserveEquipment } from './dispatch.repo.js';
import { refusalProblem, refuseDriver, refuseEquipment } from './assign-rules.js';
import { dispatchProblem } from './dispatch.errors.js';
import { assertMayPick } from './dispatch.policy.js';
import { openCommand } from './open-command.js';
import { changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/**
 * A dispatcher picks the equipment and driver; validated exactly like automatic assignment (and
 * re-checked by the database's trigger and unique indexes). A scheduled dispatch is brought forward.
 * The rule is `assign-rules.ts` (the candidates list shows the same refusals in plain words).
 * Refusals name the machine, the person, the work order they are on and the expired ticket.
 */
export async function dispatchManually(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  input: { equipmentId: string; driverId: string },
): Promise<Dispatch> {
  const { row } = await openCommand(tx, caller, id, expected, 'assign');
  const pick = await lockManualPick(tx, row.equipment_type_id, input.equipmentId, input.driverId);
  const refusal = refusalProblem([...refuseEquipment(row, pick), ...refuseDriver(pick)]);
  if (refusal) throw refusal;
  const tag = pick.asset_tag ?? '';
  if (!pick.equipment_id || !pick.driver_id) throw new Error('a refused pick passed the rule');
  await assertMayPick(tx, caller, pick.equipment_id, pick.driver_id);
  if (!(await reserveEquipment(tx, pick.equipment_id))) {
    throw dispatchProblem('equipment-unavailable', `equipment ${tag} is no longer available`, 'equipmentId', 'taken');
  }
  const after = await changeDispatch(
    tx,
    caller,
    row,
    {
      status: 'dispatched',
      equipment_id: pick.equipment_id,
      driver_id: pick.driver_id,
      dispatched_at: new Date(),
      assigned_by_kind: caller.kind,
      assigned_by_subject: caller.subject,
      assigned_by_name: caller.name,
      // A scheduled dispatch is brought forward: it enters the queue now and is served at once.
      ...(row.status === 'scheduled' ? { queued_at: new Date(), queue_seq: sql<number>`nextval('dispatch_queue_seq')` } : {}),
    },
    'dispatch.dispatched',
  );
  return dispatchView(after);
}
