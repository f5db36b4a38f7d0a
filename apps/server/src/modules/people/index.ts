import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { announce } from '../../platform/events.js';
import { recordAuditBatch } from '../audit/index.js';
import { selectDriver, selectDriverBySubject, selectExpiringQualifications, type DriverRow } from './people.repo.js';

export { peopleRoutes } from './people.routes.js';
export {
  createDriver,
  createQualification,
  setDriverDuty,
  updateDriver,
  holdQualification,
  driverView,
  qualificationView,
  listDrivers,
  findPersonDriver,
  pseudonymiseDriver,
} from './people.service.js';
/** Sortable keyset pages, shared by the resource lists of fleet and sites. */
export { keysetFor, sortedPage, lowerText, micros, plainText, type Keyset, type SortKey } from './keyset.js';
export type { DriverRow, QualificationRow } from './people.repo.js';

export function findDriver(tx: TenantTx, id: string): Promise<DriverRow | undefined> {
  return selectDriver(tx, id);
}

/** The tenant's driver record linked to an OIDC subject (the driver view, driver-scoped events). */
export function findDriverBySubject(tx: TenantTx, subject: string): Promise<DriverRow | undefined> {
  return selectDriverBySubject(tx, subject);
}

/** Marks a driver idle from now (fair rotation: longest idle first). */
export async function touchDriverIdle(tx: TenantTx, driverId: string): Promise<void> {
  await tx.updateTable('drivers').set({ idle_since: new Date() }).where('id', '=', driverId).execute();
}

export function listExpiringQualifications(tx: TenantTx, withinDays: number) {
  return selectExpiringQualifications(tx, withinDays);
}

/** The ids among `ids` that are not active qualifications of this tenant. */
export async function qualificationsExist(tx: TenantTx, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx.selectFrom('qualifications').select('id').where('id', 'in', ids).where('archived_at', 'is', null).execute();
  const found = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !found.has(id));
}

/** Bulk-creates drivers with their qualifications (CSV import): audited per row, one capacity announcement. */
export async function importDrivers(
  tx: TenantTx,
  caller: Caller,
  rows: ReadonlyArray<{
    name: string;
    employeeNo: string | null;
    phone: string | null;
    email: string | null;
    dutyStatus: 'on_duty' | 'off_duty';
    qualifications: Array<{ qualificationId: string; expiresAt: Date | null }>;
  }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  const created: Array<{ id: string }> = [];
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    created.push(
      ...(await tx
        .insertInto('drivers')
        .values(chunk.map((r) => ({ name: r.name, employee_no: r.employeeNo, phone: r.phone, email: r.email, duty_status: r.dutyStatus })))
        .returning('id')
        .execute()),
    );
  }
  const held = created.flatMap((d, i) =>
    (rows[i]?.qualifications ?? []).map((q) => ({ driver_id: d.id, qualification_id: q.qualificationId, expires_at: q.expiresAt })),
  );
  for (let i = 0; i < held.length; i += 2000)
    await tx
      .insertInto('driver_qualifications')
      .values(held.slice(i, i + 2000))
      .execute();
  await recordAuditBatch(
    tx,
    caller,
    created.map((d, i) => ({ action: 'driver.imported', entityType: 'driver', entityId: d.id, after: { ...rows[i] } })),
  );
  await announce(tx, caller, 'capacity.changed', { reason: 'driver.added' });
  return created.length;
}

/**
 * Locks a driver's row until commit. Planning changes that take a driver out of matching (approved
 * leave) take it first, so they serialise with a matching pass that holds the driver (`FOR UPDATE
 * SKIP LOCKED`): either the pass skips the driver, or the leave is recorded after the assignment.
 */
export async function lockDriver(tx: TenantTx, driverId: string): Promise<void> {
  await tx.selectFrom('drivers').select('id').where('id', '=', driverId).forUpdate().execute();
}
