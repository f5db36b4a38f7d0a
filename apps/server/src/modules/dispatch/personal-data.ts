import type { PersonalDispatch } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import { countActiveDispatchesOfDriver, pseudonymiseAssignedByName, selectDispatchesOfPerson } from './dispatch.repo.js';

export type DispatchPerson = { driverId: string | null; subject: string | null };

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/** The dispatches a person took part in (as driver, or as the dispatcher who assigned them), oldest first. */
export async function listPersonalDispatches(tx: TenantTx, person: DispatchPerson): Promise<PersonalDispatch[]> {
  const rows = await selectDispatchesOfPerson(tx, person);
  return rows.map((r) => ({
    id: r.id,
    workOrderId: r.work_order_id,
    asDriver: person.driverId !== null && r.driver_id === person.driverId,
    asDispatcher: person.subject !== null && r.assigned_by_kind === 'user' && r.assigned_by_subject === person.subject,
    status: r.status,
    priority: r.priority,
    equipmentId: r.equipment_id,
    assignedByName: r.assigned_by_name,
    notes: r.notes,
    declineReason: r.decline_reason,
    recallReason: r.recall_reason,
    cancelReason: r.cancel_reason,
    createdAt: r.created_at.toISOString(),
    dispatchedAt: iso(r.dispatched_at),
    completedAt: iso(r.completed_at),
  }));
}

/** How many active dispatches hold this driver (erasure refuses while any does). */
export function activeDispatchesOfDriver(tx: TenantTx, driverId: string): Promise<number> {
  return countActiveDispatchesOfDriver(tx, driverId);
}

/** Erasure: the dispatcher's name on the dispatches they assigned becomes the pseudonym; returns how many. */
export function pseudonymiseDispatcher(tx: TenantTx, subject: string, pseudonym: string): Promise<number> {
  return pseudonymiseAssignedByName(tx, subject, pseudonym);
}
