import { sql, type Selectable } from 'kysely';
import { containsPattern, type TenantTx } from '../../platform/db/index.js';
import { lowerText, micros, plainText, type Keyset, type SortKey } from '../people/index.js';
import { regionVisibleSql, type RegionSubject } from '../regions/index.js';
import type { EquipmentTable, EquipmentTypesTable } from './fleet.tables.js';
import './fleet.tables.js';

export type EquipmentTypeRow = Selectable<EquipmentTypesTable>;
export type EquipmentRow = Selectable<EquipmentTable>;

export async function selectEquipmentType(tx: TenantTx, id: string, lock = false): Promise<EquipmentTypeRow | undefined> {
  let query = tx.selectFrom('equipment_types').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function selectRequirements(
  tx: TenantTx,
  typeIds: readonly string[],
): Promise<Array<{ equipment_type_id: string; qualification_id: string }>> {
  if (typeIds.length === 0) return [];
  return tx
    .selectFrom('equipment_type_qualifications')
    .select(['equipment_type_id', 'qualification_id'])
    .where('equipment_type_id', 'in', typeIds)
    .execute();
}

export async function replaceRequirements(tx: TenantTx, typeId: string, qualificationIds: readonly string[]): Promise<void> {
  await tx.deleteFrom('equipment_type_qualifications').where('equipment_type_id', '=', typeId).execute();
  if (qualificationIds.length === 0) return;
  await tx
    .insertInto('equipment_type_qualifications')
    .values(qualificationIds.map((q) => ({ equipment_type_id: typeId, qualification_id: q })))
    .execute();
}

export const EQUIPMENT_TYPE_SORT_KEYS: Record<'code' | 'name' | 'createdAt' | 'updatedAt', SortKey> = {
  code: lowerText('equipment_types.code'),
  name: lowerText('equipment_types.name'),
  createdAt: micros('equipment_types.created_at'),
  updatedAt: micros('equipment_types.updated_at'),
};

export async function selectEquipmentTypePage(
  tx: TenantTx,
  filter: { q?: string; includeArchived?: boolean; qualificationId?: string; keyset: Keyset; limit: number },
): Promise<Array<EquipmentTypeRow & { sort_key: string }>> {
  const { keyset } = filter;
  let query = tx.selectFrom('equipment_types').selectAll('equipment_types').select(keyset.sortKey.as('sort_key'));
  if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
  if (filter.q)
    query = query.where((eb) =>
      eb.or([eb('code', 'ilike', containsPattern(filter.q ?? '')), eb('name', 'ilike', containsPattern(filter.q ?? ''))]),
    );
  if (filter.qualificationId) {
    const qualificationId = filter.qualificationId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('equipment_type_qualifications as r')
          .select(sql`1`.as('one'))
          .whereRef('r.equipment_type_id', '=', 'equipment_types.id')
          .where('r.qualification_id', '=', qualificationId),
      ),
    );
  }
  if (keyset.after) query = query.where(keyset.after);
  return query
    .orderBy(keyset.expr, keyset.direction)
    .orderBy('equipment_types.id', keyset.direction)
    .limit(filter.limit + 1)
    .execute();
}

export async function selectEquipment(tx: TenantTx, id: string, lock = false): Promise<EquipmentRow | undefined> {
  let query = tx.selectFrom('equipment').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export const EQUIPMENT_SORT_KEYS: Record<'assetTag' | 'name' | 'status' | 'idleSince' | 'createdAt' | 'updatedAt', SortKey> = {
  assetTag: lowerText('equipment.asset_tag'),
  name: lowerText('equipment.name'),
  status: plainText('equipment.status'),
  idleSince: micros('equipment.idle_since'),
  createdAt: micros('equipment.created_at'),
  updatedAt: micros('equipment.updated_at'),
};

export async function selectEquipmentPage(
  tx: TenantTx,
  filter: {
    q?: string;
    includeArchived?: boolean;
    status?: EquipmentRow['status'];
    equipmentTypeId?: string;
    qualificationId?: string;
    region?: string;
    /** Whose region scope limits the list. */
    caller: RegionSubject;
    keyset: Keyset;
    limit: number;
  },
): Promise<Array<EquipmentRow & { sort_key: string }>> {
  const { keyset } = filter;
  let query = tx
    .selectFrom('equipment')
    .selectAll('equipment')
    .select(keyset.sortKey.as('sort_key'))
    .where(regionVisibleSql(filter.caller, 'equipment.region'));
  if (filter.region) query = query.where('equipment.region', '=', filter.region);
  if (filter.status) query = query.where('status', '=', filter.status);
  else if (!filter.includeArchived) query = query.where('status', '<>', 'retired');
  if (filter.equipmentTypeId) query = query.where('equipment_type_id', '=', filter.equipmentTypeId);
  if (filter.qualificationId) {
    const qualificationId = filter.qualificationId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('equipment_type_qualifications as r')
          .select(sql`1`.as('one'))
          .whereRef('r.equipment_type_id', '=', 'equipment.equipment_type_id')
          .where('r.qualification_id', '=', qualificationId),
      ),
    );
  }
  if (filter.q)
    query = query.where((eb) =>
      eb.or([eb('asset_tag', 'ilike', containsPattern(filter.q ?? '')), eb('name', 'ilike', containsPattern(filter.q ?? ''))]),
    );
  if (keyset.after) query = query.where(keyset.after);
  return query
    .orderBy(keyset.expr, keyset.direction)
    .orderBy('equipment.id', keyset.direction)
    .limit(filter.limit + 1)
    .execute();
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
