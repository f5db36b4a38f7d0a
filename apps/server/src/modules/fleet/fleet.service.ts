import type {
  CreateEquipment,
  CreateEquipmentType,
  Equipment,
  EquipmentStatus,
  EquipmentType,
  Position,
  UpdateEquipment,
  UpdateEquipmentType,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { uniqueViolationOf, type TenantTx } from '../../platform/db/index.js';
import { conflict, notFound, staleVersion, unprocessable } from '../../platform/errors.js';
import { announce } from '../../platform/events.js';
import { recordAudit } from '../audit/index.js';
import { publishEvent } from '../notifications/index.js';
import { keysetFor, qualificationsExist, sortedPage } from '../people/index.js';
import { assertMayActInRegion, assertMaySeeRegion, regionForWrite } from '../regions/index.js';
import {
  EQUIPMENT_SORT_KEYS,
  EQUIPMENT_TYPE_SORT_KEYS,
  replaceRequirements,
  selectEquipment,
  selectEquipmentPage,
  selectEquipmentType,
  selectEquipmentTypePage,
  selectRequirements,
  type EquipmentRow,
  type EquipmentTypeRow,
} from './fleet.repo.js';

const positionOf = (lat: number | null, lng: number | null): Position | null => (lat === null || lng === null ? null : { lat, lng });

export function equipmentTypeView(
  row: EquipmentTypeRow,
  requirements: ReadonlyArray<{ equipment_type_id: string; qualification_id: string }>,
): EquipmentType {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    requiredQualificationIds: requirements
      .filter((r) => r.equipment_type_id === row.id)
      .map((r) => r.qualification_id)
      .sort(),
    archived: row.archived_at !== null,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function equipmentView(row: EquipmentRow): Equipment {
  return {
    id: row.id,
    assetTag: row.asset_tag,
    name: row.name,
    equipmentTypeId: row.equipment_type_id,
    status: row.status,
    statusNote: row.status_note,
    home: positionOf(row.home_lat, row.home_lng),
    position: positionOf(row.lat, row.lng),
    region: row.region,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function checkVersion(entity: string, id: string, actual: number, expected: number): void {
  if (actual !== expected) throw staleVersion(entity, id);
}

async function checkQualifications(tx: TenantTx, ids: readonly string[]): Promise<void> {
  if (new Set(ids).size !== ids.length)
    throw unprocessable('validation', 'a qualification is listed twice', [{ field: 'requiredQualificationIds', message: 'duplicate' }]);
  const missing = await qualificationsExist(tx, ids);
  if (missing.length > 0) {
    throw unprocessable('unknown-reference', `unknown qualification(s): ${missing.join(', ')}`, [
      { field: 'requiredQualificationIds', message: 'unknown qualification' },
    ]);
  }
}

const typeCodeTaken = (code: string) =>
  conflict(`an equipment type with code "${code}" already exists`, [{ field: 'code', message: 'already taken' }]);
const assetTagTaken = (tag: string) =>
  conflict(`equipment with asset tag "${tag}" already exists`, [{ field: 'assetTag', message: 'already taken' }]);

// --- equipment types --------------------------------------------------------------------------

async function publishEquipmentType(tx: TenantTx, type: string, view: EquipmentType): Promise<void> {
  await publishEvent(tx, { type, entityType: 'equipment_type', entityId: view.id, data: { equipmentType: view } });
}

async function typeView(tx: TenantTx, row: EquipmentTypeRow): Promise<EquipmentType> {
  return equipmentTypeView(row, await selectRequirements(tx, [row.id]));
}

export async function createEquipmentType(tx: TenantTx, caller: Caller, input: CreateEquipmentType): Promise<EquipmentType> {
  await checkQualifications(tx, input.requiredQualificationIds);
  let row: EquipmentTypeRow;
  try {
    row = await tx
      .insertInto('equipment_types')
      .values({ code: input.code, name: input.name, description: input.description ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (uniqueViolationOf(error) !== undefined) throw typeCodeTaken(input.code);
    throw error;
  }
  await replaceRequirements(tx, row.id, input.requiredQualificationIds);
  const view = await typeView(tx, row);
  await recordAudit(tx, caller, { action: 'equipment_type.created', entityType: 'equipment_type', entityId: row.id, after: view });
  await publishEquipmentType(tx, 'equipment_type.created', view);
  return view;
}

export async function getEquipmentType(tx: TenantTx, id: string): Promise<EquipmentType> {
  const row = await selectEquipmentType(tx, id);
  if (!row) throw notFound('equipment type', id);
  return typeView(tx, row);
}

export async function listEquipmentTypes(
  tx: TenantTx,
  query: { limit: number; cursor?: string; q?: string; includeArchived?: boolean; qualificationId?: string; sort?: string },
) {
  const keyset = keysetFor(EQUIPMENT_TYPE_SORT_KEYS, query.sort ?? 'code', query.cursor, 'equipment_types.id');
  const rows = await selectEquipmentTypePage(tx, { ...query, keyset });
  const page = sortedPage(rows, query.limit, keyset);
  const requirements = await selectRequirements(
    tx,
    page.items.map((r) => r.id),
  );
  return { items: page.items.map((r) => equipmentTypeView(r, requirements)), nextCursor: page.nextCursor };
}

export async function updateEquipmentType(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number,
  input: UpdateEquipmentType,
): Promise<EquipmentType> {
  const before = await selectEquipmentType(tx, id, true);
  if (!before) throw notFound('equipment type', id);
  checkVersion('equipment type', id, before.version, expected);
  const beforeView = await typeView(tx, before);
  if (input.requiredQualificationIds) await checkQualifications(tx, input.requiredQualificationIds);
  let row: EquipmentTypeRow;
  try {
    row = await tx
      .updateTable('equipment_types')
      .set({
        ...(input.code !== undefined ? { code: input.code } : {}),
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        version: before.version + 1,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (uniqueViolationOf(error) !== undefined) throw typeCodeTaken(input.code ?? '');
    throw error;
  }
  if (input.requiredQualificationIds) await replaceRequirements(tx, id, input.requiredQualificationIds);
  const view = await typeView(tx, row);
  await recordAudit(tx, caller, {
    action: 'equipment_type.updated',
    entityType: 'equipment_type',
    entityId: id,
    before: beforeView,
    after: view,
  });
  await publishEquipmentType(tx, 'equipment_type.updated', view);
  if (input.requiredQualificationIds)
    await announce(tx, caller, 'capacity.changed', { reason: 'equipment_type.requirements_changed', equipmentTypeId: id });
  return view;
}

export async function archiveEquipmentType(tx: TenantTx, caller: Caller, id: string, expected: number): Promise<EquipmentType> {
  const before = await selectEquipmentType(tx, id, true);
  if (!before) throw notFound('equipment type', id);
  checkVersion('equipment type', id, before.version, expected);
  const row = await tx
    .updateTable('equipment_types')
    .set({ archived_at: before.archived_at ?? new Date(), version: before.version + 1, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = await typeView(tx, row);
  await recordAudit(tx, caller, {
    action: 'equipment_type.archived',
    entityType: 'equipment_type',
    entityId: id,
    before: await typeView(tx, before),
    after: view,
  });
  await publishEquipmentType(tx, 'equipment_type.archived', view);
  return view;
}

// --- equipment --------------------------------------------------------------------------------

/** A row that changed region is news to both regions' readers (and to everyone when either side is shared). */
const movedRegions = (previous: string | null | undefined, now: string | null) =>
  previous !== undefined && previous !== now ? { regions: [previous, now] } : {};

async function publishEquipment(tx: TenantTx, type: string, view: Equipment, previousRegion?: string | null): Promise<void> {
  await publishEvent(tx, {
    type,
    entityType: 'equipment',
    entityId: view.id,
    data: { equipment: view },
    ...movedRegions(previousRegion, view.region),
  });
}

async function requireActiveType(tx: TenantTx, typeId: string): Promise<void> {
  const type = await selectEquipmentType(tx, typeId);
  if (!type || type.archived_at) {
    throw unprocessable('unknown-reference', `equipment type ${typeId} does not exist or is archived`, [
      { field: 'equipmentTypeId', message: 'unknown equipment type' },
    ]);
  }
}

export async function createEquipment(tx: TenantTx, caller: Caller, input: CreateEquipment): Promise<Equipment> {
  await requireActiveType(tx, input.equipmentTypeId);
  const region = (await regionForWrite(tx, caller, 'equipment', null, input.region)) ?? null;
  let row: EquipmentRow;
  try {
    row = await tx
      .insertInto('equipment')
      .values({
        asset_tag: input.assetTag,
        name: input.name,
        equipment_type_id: input.equipmentTypeId,
        home_lat: input.home?.lat ?? null,
        home_lng: input.home?.lng ?? null,
        lat: input.position?.lat ?? input.home?.lat ?? null,
        lng: input.position?.lng ?? input.home?.lng ?? null,
        position_at: input.position ? new Date() : null,
        region,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (uniqueViolationOf(error) !== undefined) throw assetTagTaken(input.assetTag);
    throw error;
  }
  const view = equipmentView(row);
  await recordAudit(tx, caller, { action: 'equipment.created', entityType: 'equipment', entityId: row.id, after: view });
  await publishEquipment(tx, 'equipment.created', view);
  await announce(tx, caller, 'capacity.changed', {
    reason: 'equipment.added',
    equipmentId: row.id,
    equipmentTypeId: row.equipment_type_id,
  });
  return view;
}

export async function getEquipment(tx: TenantTx, caller: Caller, id: string): Promise<Equipment> {
  const row = await selectEquipment(tx, id);
  if (!row) throw notFound('equipment', id);
  assertMaySeeRegion(caller, row.region, 'equipment', id);
  return equipmentView(row);
}

export async function listEquipment(
  tx: TenantTx,
  caller: Caller,
  query: {
    limit: number;
    cursor?: string;
    q?: string;
    includeArchived?: boolean;
    status?: EquipmentStatus;
    equipmentTypeId?: string;
    qualificationId?: string;
    region?: string;
    sort?: string;
  },
) {
  const keyset = keysetFor(EQUIPMENT_SORT_KEYS, query.sort ?? 'assetTag', query.cursor, 'equipment.id');
  const rows = await selectEquipmentPage(tx, { ...query, keyset, caller });
  const page = sortedPage(rows, query.limit, keyset);
  return { items: page.items.map(equipmentView), nextCursor: page.nextCursor };
}

export async function updateEquipment(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number,
  input: UpdateEquipment,
): Promise<Equipment> {
  const before = await selectEquipment(tx, id, true);
  if (!before) throw notFound('equipment', id);
  const region = await regionForWrite(tx, caller, 'equipment', before, input.region);
  checkVersion('equipment', id, before.version, expected);
  if (input.equipmentTypeId !== undefined && input.equipmentTypeId !== before.equipment_type_id) {
    if (before.status === 'dispatched')
      throw conflict('equipment on a job cannot change type', [{ field: 'equipmentTypeId', message: 'equipment is dispatched' }]);
    await requireActiveType(tx, input.equipmentTypeId);
  }
  let row: EquipmentRow;
  try {
    row = await tx
      .updateTable('equipment')
      .set({
        ...(input.assetTag !== undefined ? { asset_tag: input.assetTag } : {}),
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.equipmentTypeId !== undefined ? { equipment_type_id: input.equipmentTypeId } : {}),
        ...(input.home !== undefined ? { home_lat: input.home?.lat ?? null, home_lng: input.home?.lng ?? null } : {}),
        ...(input.position !== undefined
          ? { lat: input.position?.lat ?? null, lng: input.position?.lng ?? null, position_at: new Date() }
          : {}),
        ...(region !== undefined ? { region } : {}),
        version: before.version + 1,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (uniqueViolationOf(error) !== undefined) throw assetTagTaken(input.assetTag ?? '');
    throw error;
  }
  const view = equipmentView(row);
  await recordAudit(tx, caller, {
    action: 'equipment.updated',
    entityType: 'equipment',
    entityId: id,
    before: equipmentView(before),
    after: view,
  });
  await publishEquipment(tx, 'equipment.updated', view, before.region);
  // A new type or a new region can serve requests it could not serve before.
  if ((input.equipmentTypeId !== undefined || (region !== undefined && region !== before.region)) && row.status === 'available') {
    await announce(tx, caller, 'capacity.changed', {
      reason: 'equipment.available',
      equipmentId: id,
      equipmentTypeId: row.equipment_type_id,
    });
  }
  return view;
}

type StatusChange = { to: EquipmentStatus; action: string; allowedFrom: readonly EquipmentStatus[]; note: string | null };

async function changeStatus(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  change: StatusChange,
): Promise<Equipment> {
  const before = await selectEquipment(tx, id, true);
  if (!before) throw notFound('equipment', id);
  assertMayActInRegion(caller, before.region, 'equipment');
  if (expected !== undefined) checkVersion('equipment', id, before.version, expected);
  if (!change.allowedFrom.includes(before.status)) {
    const why = before.status === 'dispatched' ? 'it is on a job; recall or complete the dispatch first' : `it is ${before.status}`;
    throw conflict(`equipment ${before.asset_tag} cannot go to ${change.to}: ${why}`, [
      { field: 'status', message: `currently ${before.status}` },
    ]);
  }
  const row = await tx
    .updateTable('equipment')
    .set({
      status: change.to,
      status_note: change.note,
      version: before.version + 1,
      updated_at: new Date(),
      ...(change.to === 'available' ? { idle_since: new Date() } : {}),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = equipmentView(row);
  await recordAudit(tx, caller, {
    action: change.action,
    entityType: 'equipment',
    entityId: id,
    before: equipmentView(before),
    after: view,
  });
  await publishEquipment(tx, change.action, view);
  if (change.to === 'available') {
    await announce(tx, caller, 'capacity.changed', {
      reason: 'equipment.available',
      equipmentId: id,
      equipmentTypeId: row.equipment_type_id,
    });
  }
  return view;
}

/** Damaged or due for service: out of the pool until an admin returns it. Equipment on a job is recalled or completed first (409 says so). */
export function sendToMaintenance(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  note: string,
): Promise<Equipment> {
  return changeStatus(tx, caller, id, expected, {
    to: 'maintenance',
    action: 'equipment.maintenance',
    allowedFrom: ['available', 'maintenance'],
    note,
  });
}

export function returnToService(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  note: string | null,
): Promise<Equipment> {
  return changeStatus(tx, caller, id, expected, {
    to: 'available',
    action: 'equipment.returned_to_service',
    allowedFrom: ['maintenance', 'retired'],
    note,
  });
}

export function retireEquipment(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  note: string | null,
): Promise<Equipment> {
  return changeStatus(tx, caller, id, expected, {
    to: 'retired',
    action: 'equipment.retired',
    allowedFrom: ['available', 'maintenance', 'retired'],
    note,
  });
}
