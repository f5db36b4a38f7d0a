import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { announce } from '../../platform/events.js';
import { recordAuditBatch } from '../audit/index.js';
import {
  countUsableEquipmentOfType,
  selectEquipment,
  selectEquipmentType,
  selectRequirements,
  type EquipmentRow,
  type EquipmentTypeRow,
} from './fleet.repo.js';

export { fleetRoutes } from './fleet.routes.js';
export {
  createEquipment,
  createEquipmentType,
  sendToMaintenance,
  returnToService,
  equipmentView,
  equipmentTypeView,
  listEquipment,
} from './fleet.service.js';
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

/** Bulk-creates equipment (CSV import): one insert, one audit event per row, one capacity announcement. */
export async function importEquipment(
  tx: TenantTx,
  caller: Caller,
  rows: ReadonlyArray<{ assetTag: string; name: string; equipmentTypeId: string; home: { lat: number; lng: number } | null }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const created: Array<{ id: string; asset_tag: string; equipment_type_id: string }> = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    created.push(
      ...(await tx
        .insertInto('equipment')
        .values(
          chunk.map((r) => ({
            asset_tag: r.assetTag,
            name: r.name,
            equipment_type_id: r.equipmentTypeId,
            home_lat: r.home?.lat ?? null,
            home_lng: r.home?.lng ?? null,
            lat: r.home?.lat ?? null,
            lng: r.home?.lng ?? null,
          })),
        )
        .returning(['id', 'asset_tag', 'equipment_type_id'])
        .execute()),
    );
  }
  await recordAuditBatch(
    tx,
    caller,
    created.map((r, i) => ({ action: 'equipment.imported', entityType: 'equipment', entityId: r.id, after: { ...rows[i] } })),
  );
  await announce(tx, caller, 'capacity.changed', { reason: 'equipment.added' });
  return created.length;
}

/** Locks a machine's row until commit (a planned maintenance window serialises with a matching pass that holds the machine). */
export async function lockEquipment(tx: TenantTx, equipmentId: string): Promise<void> {
  await tx.selectFrom('equipment').select('id').where('id', '=', equipmentId).forUpdate().execute();
}
