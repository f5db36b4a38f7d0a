import type { TenantTx } from '../../platform/db/index.js';
import { selectDriver, selectDriverBySubject, selectExpiringQualifications, type DriverRow } from './people.repo.js';

export { peopleRoutes } from './people.routes.js';
export { createDriver, createQualification, setDriverDuty, updateDriver, driverView, qualificationView } from './people.service.js';
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
