import type { TenantTx } from '../../platform/db/index.js';
import { countUsableEquipmentOfType, selectEquipment, selectEquipmentType, selectRequirements, type EquipmentRow, type EquipmentTypeRow } from './fleet.repo.js';

export { fleetRoutes } from './fleet.routes.js';
export { createEquipment, createEquipmentType, sendToMaintenance, returnToService, equipmentView, equipmentTypeView } from './fleet.service.js';
export type { EquipmentRow, EquipmentTypeRow } from './fleet.repo.js';

export function findEquipment(tx: TenantTx, id: string): Promise<EquipmentRow | undefined> {
  return selectEquipment(tx, id);
}

export function findEquipmentType(tx: TenantTx, id: string): Promise<EquipmentTypeRow | undefined> {
  return selectEquipmentType(tx, id);
}

export async function requiredQualificationIds(tx: TenantTx, equipmentTypeId: string): Promise<string[]> {
  return (await selectRequirements(tx, [equipmentTypeId])).map((r) => r.qualification_id);
}

/** Equipment of the type that is not retired: zero means a request for it can never be served. */
export function countEquipmentOfType(tx: TenantTx, equipmentTypeId: string): Promise<number> {
  return countUsableEquipmentOfType(tx, equipmentTypeId);
}

/** The dispatch engine reserves equipment (available → dispatched). */
export async function markEquipmentDispatched(tx: TenantTx, equipmentId: string): Promise<void> {
  const result = await tx
    .updateTable('equipment')
    .set({ status: 'dispatched', updated_at: new Date() })
    .where('id', '=', equipmentId)
    .where('status', '=', 'available')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new Error(`equipment ${equipmentId} is not available`);
}

/** A finished dispatch frees its equipment — unless it was sent to maintenance meanwhile. */
export async function releaseEquipment(tx: TenantTx, equipmentId: string): Promise<void> {
  await tx
    .updateTable('equipment')
    .set({ status: 'available', idle_since: new Date(), updated_at: new Date() })
    .where('id', '=', equipmentId)
    .where('status', '=', 'dispatched')
    .execute();
}
