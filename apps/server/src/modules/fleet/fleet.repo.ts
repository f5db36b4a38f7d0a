import { sql, type Selectable } from 'kysely';
import { containsPattern, type TenantTx } from '../../platform/db/index.js';
import type { EquipmentTable, EquipmentTypesTable } from './fleet.tables.js';
import './fleet.tables.js';

export type EquipmentTypeRow = Selectable<EquipmentTypesTable>;
export type EquipmentRow = Selectable<EquipmentTable>;


export async function selectEquipmentType(tx: TenantTx, id: string, lock = false): Promise<EquipmentTypeRow | undefined> {
  let query = tx.selectFrom('equipment_types').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function selectRequirements(tx: TenantTx, typeIds: readonly string[]): Promise<Array<{ equipment_type_id: string; qualification_id: string }>> {
  if (typeIds.length === 0) return [];
  return tx.selectFrom('equipment_type_qualifications').select(['equipment_type_id', 'qualification_id']).where('equipment_type_id', 'in', typeIds).execute();
}

export async function replaceRequirements(tx: TenantTx, typeId: string, qualificationIds: readonly string[]): Promise<void> {
  await tx.deleteFrom('equipment_type_qualifications').where('equipment_type_id', '=', typeId).execute();
  if (qualificationIds.length === 0) return;
  await tx.insertInto('equipment_type_qualifications').values(qualificationIds.map((q) => ({ equipment_type_id: typeId, qualification_id: q }))).execute();
}

export async function selectEquipmentTypePage(
  tx: TenantTx,
  filter: { q?: string; includeArchived?: boolean; after?: { k: string; id: string }; limit: number },
): Promise<EquipmentTypeRow[]> {
  let query = tx.selectFrom('equipment_types').selectAll();
  if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
  if (filter.q) query = query.where((eb) => eb.or([eb('code', 'ilike', containsPattern(filter.q ?? '')), eb('name', 'ilike', containsPattern(filter.q ?? ''))]));
  if (filter.after) {
    const after = filter.after;
    query = query.where((eb) => eb(eb.refTuple(sql<string>`lower(code)`, 'id'), '>', eb.tuple(after.k, after.id)));
  }
  return query.orderBy(sql`lower(code)`).orderBy('id').limit(filter.limit + 1).execute();
}

export async function selectEquipment(tx: TenantTx, id: string, lock = false): Promise<EquipmentRow | undefined> {
  let query = tx.selectFrom('equipment').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function selectEquipmentPage(
  tx: TenantTx,
  filter: { q?: string; includeArchived?: boolean; status?: EquipmentRow['status']; equipmentTypeId?: string; after?: { k: string; id: string }; limit: number },
): Promise<EquipmentRow[]> {
  let query = tx.selectFrom('equipment').selectAll();
  if (filter.status) query = query.where('status', '=', filter.status);
  else if (!filter.includeArchived) query = query.where('status', '<>', 'retired');
  if (filter.equipmentTypeId) query = query.where('equipment_type_id', '=', filter.equipmentTypeId);
  if (filter.q) query = query.where((eb) => eb.or([eb('asset_tag', 'ilike', containsPattern(filter.q ?? '')), eb('name', 'ilike', containsPattern(filter.q ?? ''))]));
  if (filter.after) {
    const after = filter.after;
    query = query.where((eb) => eb(eb.refTuple(sql<string>`lower(asset_tag)`, 'id'), '>', eb.tuple(after.k, after.id)));
  }
  return query.orderBy(sql`lower(asset_tag)`).orderBy('id').limit(filter.limit + 1).execute();
}

export async function countUsableEquipmentOfType(tx: TenantTx, typeId: string): Promise<number> {
  const row = await tx
    .selectFrom('equipment')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('equipment_type_id', '=', typeId)
    .where('status', '<>', 'retired')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
