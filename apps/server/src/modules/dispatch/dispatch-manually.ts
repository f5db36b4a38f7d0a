import { sql } from 'kysely';
import type { Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { lockManualPick, reserveEquipment } from './dispatch.repo.js';
import { dispatchProblem } from './dispatch.errors.js';
import { assertMayPick } from './dispatch.policy.js';
import { openCommand } from './open-command.js';
import { changeDispatch } from './record-change.js';
import { dispatchView } from './views.js';

/**
 * A dispatcher picks the equipment and driver; validated exactly like automatic assignment (and
 * re-checked by the database's trigger and unique indexes). A scheduled dispatch is brought forward.
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
  const tag = pick.asset_tag ?? '';
  if (!pick.equipment_id) throw dispatchProblem('wrong-equipment', 'equipment not found', 'equipmentId', 'unknown equipment');
  if (pick.equipment_type_id !== row.equipment_type_id) throw dispatchProblem('wrong-equipment', `equipment ${tag} is not of the requested type`, 'equipmentId', 'wrong type');
  if (row.requested_equipment_id && row.requested_equipment_id !== pick.equipment_id) {
    throw dispatchProblem('wrong-equipment', 'the work order asked for a specific piece of equipment', 'equipmentId', 'not the requested equipment');
  }
  if (pick.equipment_status !== 'available') {
    throw dispatchProblem('equipment-unavailable', `equipment ${tag} is no longer available (${pick.equipment_status ?? 'unknown'})`, 'equipmentId', pick.equipment_status ?? 'unknown');
  }
  const name = pick.driver_name ?? '';
  if (!pick.driver_id || pick.driver_archived) throw dispatchProblem('driver-unavailable', 'driver not found', 'driverId', 'unknown driver');
  if (pick.duty_status !== 'on_duty') throw dispatchProblem('driver-unavailable', `${name} is off duty`, 'driverId', 'off duty');
  if (pick.busy_on) throw dispatchProblem('driver-unavailable', `${name} is already on a dispatch (${pick.busy_on})`, 'driverId', 'busy');
  await assertMayPick(tx, caller, pick.equipment_id, pick.driver_id);
  const missing = pick.missing ?? [];
  if (missing.length > 0) {
    const what = missing.map((m) => (m.expired_on ? `${m.code} (expired ${m.expired_on})` : m.code)).join(', ');
    throw dispatchProblem('driver-not-qualified', `${name} lacks a required qualification (or holds it expired): ${what}`, 'driverId', 'not qualified');
  }
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
