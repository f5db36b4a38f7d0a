import type {
  CreateDriver,
  CreateQualification,
  Driver,
  DutyStatus,
  Position,
  Qualification,
  UpdateDriver,
  UpdateQualification,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { uniqueViolationOf, type TenantTx } from '../../platform/db/index.js';
import { conflict, notFound, staleVersion, unprocessable } from '../../platform/errors.js';
import { announce } from '../../platform/events.js';
import { recordAudit } from '../audit/index.js';
import { publishEvent } from '../notifications/index.js';
import { assertMayActInRegion, assertMaySeeRegion, regionForWrite } from '../regions/index.js';
import { keysetFor, sortedPage } from './keyset.js';
import {
  DRIVER_SORT_KEYS,
  QUALIFICATION_SORT_KEYS,
  deleteHeldQualification,
  replaceHeldQualifications,
  upsertHeldQualification,
  selectDriver,
  selectDriverOfPerson,
  selectDriverPage,
  pseudonymiseDriverById,
  selectExistingQualificationIds,
  selectHeldQualifications,
  selectQualification,
  selectQualificationPage,
  type DriverRow,
  type HeldQualificationRow,
  type QualificationRow,
} from './people.repo.js';

// --- views ------------------------------------------------------------------------------------

export function qualificationView(row: QualificationRow): Qualification {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    archived: row.archived_at !== null,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const positionOf = (lat: number | null, lng: number | null): Position | null => (lat === null || lng === null ? null : { lat, lng });

export function driverView(row: DriverRow, held: readonly HeldQualificationRow[], now = new Date()): Driver {
  return {
    id: row.id,
    name: row.name,
    employeeNo: row.employee_no,
    phone: row.phone,
    email: row.email,
    subject: row.subject,
    dutyStatus: row.duty_status,
    statusNote: row.status_note,
    position: positionOf(row.lat, row.lng),
    qualifications: held
      .filter((h) => h.driver_id === row.id)
      .map((h) => ({
        qualificationId: h.qualification_id,
        code: h.code,
        name: h.name,
        expiresAt: h.expires_at?.toISOString() ?? null,
        expired: h.expires_at !== null && h.expires_at <= now,
      })),
    region: row.region,
    archived: row.archived_at !== null,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function checkVersion(entity: string, id: string, actual: number, expected: number): void {
  if (actual !== expected) throw staleVersion(entity, id);
}

const codeTaken = (code: string) =>
  conflict(`a qualification with code "${code}" already exists`, [{ field: 'code', message: 'already taken' }]);

// --- qualifications ---------------------------------------------------------------------------

async function publishQualification(tx: TenantTx, type: string, view: Qualification): Promise<void> {
  await publishEvent(tx, { type, entityType: 'qualification', entityId: view.id, data: { qualification: view } });
}

export async function createQualification(tx: TenantTx, caller: Caller, input: CreateQualification): Promise<Qualification> {
  let row: QualificationRow;
  try {
    row = await tx
      .insertInto('qualifications')
      .values({ code: input.code, name: input.name, description: input.description ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (uniqueViolationOf(error) !== undefined) throw codeTaken(input.code);
    throw error;
  }
  const view = qualificationView(row);
  await recordAudit(tx, caller, { action: 'qualification.created', entityType: 'qualification', entityId: row.id, after: view });
  await publishQualification(tx, 'qualification.created', view);
  return view;
}

export async function getQualification(tx: TenantTx, id: string): Promise<Qualification> {
  const row = await selectQualification(tx, id);
  if (!row) throw notFound('qualification', id);
  return qualificationView(row);
}

export async function listQualifications(
  tx: TenantTx,
  query: { limit: number; cursor?: string; q?: string; includeArchived?: boolean; sort?: string },
) {
  const keyset = keysetFor(QUALIFICATION_SORT_KEYS, query.sort ?? 'code', query.cursor, 'qualifications.id');
  const rows = await selectQualificationPage(tx, { ...query, keyset });
  const page = sortedPage(rows, query.limit, keyset);
  return { items: page.items.map(qualificationView), nextCursor: page.nextCursor };
}

export async function updateQualification(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number,
  input: UpdateQualification,
): Promise<Qualification> {
  const before = await selectQualification(tx, id, true);
  if (!before) throw notFound('qualification', id);
  checkVersion('qualification', id, before.version, expected);
  let row: QualificationRow;
  try {
    row = await tx
      .updateTable('qualifications')
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
    if (uniqueViolationOf(error) !== undefined) throw codeTaken(input.code ?? '');
    throw error;
  }
  const view = qualificationView(row);
  await recordAudit(tx, caller, {
    action: 'qualification.updated',
    entityType: 'qualification',
    entityId: id,
    before: qualificationView(before),
    after: view,
  });
  await publishQualification(tx, 'qualification.updated', view);
  return view;
}

export async function archiveQualification(tx: TenantTx, caller: Caller, id: string, expected: number): Promise<Qualification> {
  const before = await selectQualification(tx, id, true);
  if (!before) throw notFound('qualification', id);
  checkVersion('qualification', id, before.version, expected);
  const row = await tx
    .updateTable('qualifications')
    .set({ archived_at: before.archived_at ?? new Date(), version: before.version + 1, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = qualificationView(row);
  await recordAudit(tx, caller, {
    action: 'qualification.archived',
    entityType: 'qualification',
    entityId: id,
    before: qualificationView(before),
    after: view,
  });
  await publishQualification(tx, 'qualification.archived', view);
  return view;
}

// --- drivers ----------------------------------------------------------------------------------

async function checkQualificationIds(tx: TenantTx, ids: readonly string[]): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length !== ids.length)
    throw unprocessable('validation', 'a qualification is listed twice', [{ field: 'qualifications', message: 'duplicate qualification' }]);
  const existing = await selectExistingQualificationIds(tx, unique);
  const missing = unique.filter((id) => !existing.has(id));
  if (missing.length > 0) {
    throw unprocessable(
      'unknown-reference',
      `unknown qualification(s): ${missing.join(', ')}`,
      missing.map((id) => ({ field: 'qualifications', message: `unknown qualification ${id}` })),
    );
  }
}

function driverUniqueConflict(constraint: string): Error {
  if (constraint.includes('subject'))
    return conflict('another driver is already linked to this identity', [{ field: 'subject', message: 'already linked' }]);
  return conflict('another driver has this employee number', [{ field: 'employeeNo', message: 'already taken' }]);
}

async function loadDriverView(tx: TenantTx, row: DriverRow): Promise<Driver> {
  return driverView(row, await selectHeldQualifications(tx, [row.id]));
}

/** A row that changed region is news to both regions' readers (and to everyone when either side is shared). */
const movedRegions = (previous: string | null | undefined, now: string | null) =>
  previous !== undefined && previous !== now ? { regions: [previous, now] } : {};

async function publishDriver(tx: TenantTx, type: string, view: Driver, previousRegion?: string | null): Promise<void> {
  await publishEvent(tx, {
    type,
    entityType: 'driver',
    entityId: view.id,
    data: { driver: view },
    driverIds: [view.id],
    ...movedRegions(previousRegion, view.region),
  });
}

export async function createDriver(tx: TenantTx, caller: Caller, input: CreateDriver): Promise<Driver> {
  await checkQualificationIds(
    tx,
    input.qualifications.map((q) => q.qualificationId),
  );
  const region = (await regionForWrite(tx, caller, 'driver', null, input.region)) ?? null;
  let row: DriverRow;
  try {
    row = await tx
      .insertInto('drivers')
      .values({
        name: input.name,
        employee_no: input.employeeNo ?? null,
        phone: input.phone ?? null,
        email: input.email ?? null,
        subject: input.subject ?? null,
        duty_status: input.dutyStatus,
        lat: input.position?.lat ?? null,
        lng: input.position?.lng ?? null,
        position_at: input.position ? new Date() : null,
        region,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    const constraint = uniqueViolationOf(error);
    if (constraint !== undefined) throw driverUniqueConflict(constraint);
    throw error;
  }
  await replaceHeldQualifications(
    tx,
    row.id,
    input.qualifications.map((q) => ({ qualificationId: q.qualificationId, expiresAt: q.expiresAt ? new Date(q.expiresAt) : null })),
  );
  const view = await loadDriverView(tx, row);
  await recordAudit(tx, caller, { action: 'driver.created', entityType: 'driver', entityId: row.id, after: view });
  await publishDriver(tx, 'driver.created', view);
  if (row.duty_status === 'on_duty') await announce(tx, caller, 'capacity.changed', { reason: 'driver.added', driverId: row.id });
  return view;
}

export async function getDriver(tx: TenantTx, caller: Caller, id: string): Promise<Driver> {
  const row = await selectDriver(tx, id);
  if (!row) throw notFound('driver', id);
  assertMaySeeRegion(caller, row.region, 'driver', id);
  return loadDriverView(tx, row);
}

export async function listDrivers(
  tx: TenantTx,
  caller: Caller,
  query: {
    limit: number;
    cursor?: string;
    q?: string;
    includeArchived?: boolean;
    dutyStatus?: DutyStatus;
    qualificationId?: string;
    expiringWithinDays?: number;
    region?: string;
    sort?: string;
  },
) {
  const keyset = keysetFor(DRIVER_SORT_KEYS, query.sort ?? 'name', query.cursor, 'drivers.id');
  const rows = await selectDriverPage(tx, { ...query, keyset, caller });
  const page = sortedPage(rows, query.limit, keyset);
  const held = await selectHeldQualifications(
    tx,
    page.items.map((r) => r.id),
  );
  return { items: page.items.map((r) => driverView(r, held)), nextCursor: page.nextCursor };
}

export async function updateDriver(tx: TenantTx, caller: Caller, id: string, expected: number, input: UpdateDriver): Promise<Driver> {
  const before = await selectDriver(tx, id, true);
  if (!before) throw notFound('driver', id);
  const region = await regionForWrite(tx, caller, 'driver', before, input.region);
  checkVersion('driver', id, before.version, expected);
  const beforeView = await loadDriverView(tx, before);
  if (input.qualifications)
    await checkQualificationIds(
      tx,
      input.qualifications.map((q) => q.qualificationId),
    );
  let row: DriverRow;
  try {
    row = await tx
      .updateTable('drivers')
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.employeeNo !== undefined ? { employee_no: input.employeeNo } : {}),
        ...(input.phone !== undefined ? { phone: input.phone } : {}),
        ...(input.email !== undefined ? { email: input.email } : {}),
        ...(input.subject !== undefined ? { subject: input.subject } : {}),
        ...(input.position !== undefined
          ? { lat: input.position?.lat ?? null, lng: input.position?.lng ?? null, position_at: input.position ? new Date() : null }
          : {}),
        ...(region !== undefined ? { region } : {}),
        version: before.version + 1,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    const constraint = uniqueViolationOf(error);
    if (constraint !== undefined) throw driverUniqueConflict(constraint);
    throw error;
  }
  if (input.qualifications) {
    await replaceHeldQualifications(
      tx,
      id,
      input.qualifications.map((q) => ({ qualificationId: q.qualificationId, expiresAt: q.expiresAt ? new Date(q.expiresAt) : null })),
    );
  }
  const view = await loadDriverView(tx, row);
  await recordAudit(tx, caller, { action: 'driver.updated', entityType: 'driver', entityId: id, before: beforeView, after: view });
  await publishDriver(tx, 'driver.updated', view, before.region);
  if ((input.qualifications || (region !== undefined && region !== before.region)) && row.duty_status === 'on_duty') {
    await announce(tx, caller, 'capacity.changed', { reason: 'driver.qualification_changed', driverId: id });
  }
  return view;
}

/** A dispatcher marks a driver on or off duty (e.g. sick), with a note. */
export async function setDriverDuty(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number | undefined,
  input: { dutyStatus: DutyStatus; note?: string },
): Promise<Driver> {
  const before = await selectDriver(tx, id, true);
  if (!before || before.archived_at) throw notFound('driver', id);
  assertMayActInRegion(caller, before.region, 'driver');
  if (expected !== undefined) checkVersion('driver', id, before.version, expected);
  const row = await tx
    .updateTable('drivers')
    .set({ duty_status: input.dutyStatus, status_note: input.note ?? null, version: before.version + 1, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const held = await selectHeldQualifications(tx, [id]);
  const view = driverView(row, held);
  await recordAudit(tx, caller, {
    action: input.dutyStatus === 'on_duty' ? 'driver.on_duty' : 'driver.off_duty',
    entityType: 'driver',
    entityId: id,
    before: driverView(before, held),
    after: view,
  });
  await publishDriver(tx, 'driver.duty_changed', view);
  if (before.duty_status !== 'on_duty' && input.dutyStatus === 'on_duty') {
    await announce(tx, caller, 'capacity.changed', { reason: 'driver.on_duty', driverId: id });
  }
  return view;
}

export async function archiveDriver(tx: TenantTx, caller: Caller, id: string, expected: number): Promise<Driver> {
  const before = await selectDriver(tx, id, true);
  if (!before) throw notFound('driver', id);
  assertMayActInRegion(caller, before.region, 'driver');
  checkVersion('driver', id, before.version, expected);
  const row = await tx
    .updateTable('drivers')
    .set({ archived_at: before.archived_at ?? new Date(), duty_status: 'off_duty', version: before.version + 1, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const held = await selectHeldQualifications(tx, [id]);
  const view = driverView(row, held);
  await recordAudit(tx, caller, {
    action: 'driver.archived',
    entityType: 'driver',
    entityId: id,
    before: driverView(before, held),
    after: view,
  });
  await publishDriver(tx, 'driver.archived', view);
  return view;
}

/**
 * Adds a qualification to a driver or renews it (new expiry). Audited as added or renewed; a driver
 * on duty may now be able to take queued work, so capacity is announced.
 */
export async function holdQualification(
  tx: TenantTx,
  caller: Caller,
  driverId: string,
  qualificationId: string,
  expected: number | undefined,
  expiresAt: Date | null,
): Promise<Driver> {
  const before = await selectDriver(tx, driverId, true);
  if (!before || before.archived_at) throw notFound('driver', driverId);
  assertMayActInRegion(caller, before.region, 'driver');
  if (expected !== undefined) checkVersion('driver', driverId, before.version, expected);
  await checkQualificationIds(tx, [qualificationId]);
  const heldBefore = await selectHeldQualifications(tx, [driverId]);
  const renewed = heldBefore.some((h) => h.qualification_id === qualificationId);
  await upsertHeldQualification(tx, driverId, qualificationId, expiresAt);
  const row = await tx
    .updateTable('drivers')
    .set({ version: before.version + 1, updated_at: new Date() })
    .where('id', '=', driverId)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = await loadDriverView(tx, row);
  await recordAudit(tx, caller, {
    action: renewed ? 'driver.qualification_renewed' : 'driver.qualification_added',
    entityType: 'driver',
    entityId: driverId,
    before: driverView(before, heldBefore),
    after: view,
  });
  await publishDriver(tx, 'driver.qualifications_changed', view);
  if (row.duty_status === 'on_duty') await announce(tx, caller, 'capacity.changed', { reason: 'driver.qualification_changed', driverId });
  return view;
}

/** Removes a qualification from a driver (revoked, not renewed). Active dispatches are not touched. */
export async function dropQualification(
  tx: TenantTx,
  caller: Caller,
  driverId: string,
  qualificationId: string,
  expected: number | undefined,
): Promise<Driver> {
  const before = await selectDriver(tx, driverId, true);
  if (!before || before.archived_at) throw notFound('driver', driverId);
  assertMayActInRegion(caller, before.region, 'driver');
  if (expected !== undefined) checkVersion('driver', driverId, before.version, expected);
  const heldBefore = await selectHeldQualifications(tx, [driverId]);
  if (!(await deleteHeldQualification(tx, driverId, qualificationId))) throw notFound('qualification held by this driver', qualificationId);
  const row = await tx
    .updateTable('drivers')
    .set({ version: before.version + 1, updated_at: new Date() })
    .where('id', '=', driverId)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = await loadDriverView(tx, row);
  await recordAudit(tx, caller, {
    action: 'driver.qualification_removed',
    entityType: 'driver',
    entityId: driverId,
    before: driverView(before, heldBefore),
    after: view,
  });
  await publishDriver(tx, 'driver.qualifications_changed', view);
  return view;
}

/** The driver updates their own current position. */
export async function updateOwnPosition(tx: TenantTx, caller: Caller, driverId: string, position: Position): Promise<Driver> {
  const row = await tx
    .updateTable('drivers')
    .set({ lat: position.lat, lng: position.lng, position_at: new Date() })
    .where('id', '=', driverId)
    .returningAll()
    .executeTakeFirstOrThrow();
  const view = await loadDriverView(tx, row);
  await recordAudit(tx, caller, { action: 'driver.position_reported', entityType: 'driver', entityId: driverId, after: { position } });
  await publishDriver(tx, 'driver.position', view);
  return view;
}

// --- personal data (modules/privacy) ----------------------------------------------------------

/** The driver record of a person: linked to their subject, or else carrying their e-mail; archived ones too. */
export async function findPersonDriver(tx: TenantTx, person: { subject: string | null; email: string | null }): Promise<Driver | null> {
  const row = await selectDriverOfPerson(tx, person);
  return row ? driverView(row, await selectHeldQualifications(tx, [row.id])) : null;
}

/**
 * Erasure (modules/privacy): the driver's name becomes the pseudonym, the e-mail its e-mail form;
 * phone, employee number, status note and position are cleared; the record is archived and off
 * duty, so it is never dispatched again. Dispatch history keeps pointing at the same id. Not
 * audited here (the privacy module records one `person.erased` event naming no personal data).
 */
export async function pseudonymiseDriver(tx: TenantTx, id: string, pseudonym: { name: string; email: string }): Promise<Driver> {
  const row = await pseudonymiseDriverById(tx, id, pseudonym);
  const view = driverView(row, await selectHeldQualifications(tx, [id]));
  await publishDriver(tx, 'driver.archived', view);
  return view;
}
