import { sql, type Transaction } from 'kysely';

export const name = '202611300500_resources_lookup_indexes';

/**
 * Lookups the resource lists and alerts make: qualifications expiring soon (alerts, the drivers'
 * `expiringWithinDays` filter), equipment types and equipment by a required qualification, and
 * the `updatedAt` sorts. Owned by modules/people and modules/fleet.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`create index driver_qualifications_by_expiry on driver_qualifications (expires_at, driver_id) where expires_at is not null`.execute(
    db,
  );
  await sql`create index equipment_type_qualifications_by_qualification on equipment_type_qualifications (qualification_id, equipment_type_id)`.execute(
    db,
  );
  await sql`create index equipment_by_updated on equipment (updated_at, id)`.execute(db);
  await sql`create index drivers_by_updated on drivers (updated_at, id)`.execute(db);
}
