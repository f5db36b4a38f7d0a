import { sql, type Selectable } from 'kysely';
import { containsPattern, type TenantTx } from '../../platform/db/index.js';
import type { DriversTable, QualificationsTable } from './people.tables.js';
import './people.tables.js';

export type QualificationRow = Selectable<QualificationsTable>;
export type DriverRow = Selectable<DriversTable>;
export type HeldQualificationRow = { driver_id: string; qualification_id: string; code: string; name: string; expires_at: Date | null };


export async function selectQualification(tx: TenantTx, id: string, lock = false): Promise<QualificationRow | undefined> {
  let query = tx.selectFrom('qualifications').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function selectQualificationPage(
  tx: TenantTx,
  filter: { q?: string; includeArchived?: boolean; after?: { k: string; id: string }; limit: number },
): Promise<QualificationRow[]> {
  let query = tx.selectFrom('qualifications').selectAll();
  if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
  if (filter.q) query = query.where((eb) => eb.or([eb('code', 'ilike', containsPattern(filter.q ?? '')), eb('name', 'ilike', containsPattern(filter.q ?? ''))]));
  if (filter.after) {
    const after = filter.after;
    query = query.where((eb) => eb(eb.refTuple(sql<string>`lower(code)`, 'id'), '>', eb.tuple(after.k, after.id)));
  }
  return query.orderBy(sql`lower(code)`).orderBy('id').limit(filter.limit + 1).execute();
}

export async function selectExistingQualificationIds(tx: TenantTx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.selectFrom('qualifications').select('id').where('id', 'in', ids).where('archived_at', 'is', null).execute();
  return new Set(rows.map((r) => r.id));
}

export async function selectDriver(tx: TenantTx, id: string, lock = false): Promise<DriverRow | undefined> {
  let query = tx.selectFrom('drivers').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function selectDriverBySubject(tx: TenantTx, subject: string): Promise<DriverRow | undefined> {
  return tx.selectFrom('drivers').selectAll().where('subject', '=', subject).where('archived_at', 'is', null).executeTakeFirst();
}

export async function selectHeldQualifications(tx: TenantTx, driverIds: readonly string[]): Promise<HeldQualificationRow[]> {
  if (driverIds.length === 0) return [];
  return tx
    .selectFrom('driver_qualifications as dq')
    .innerJoin('qualifications as q', 'q.id', 'dq.qualification_id')
    .select(['dq.driver_id', 'dq.qualification_id', 'q.code', 'q.name', 'dq.expires_at'])
    .where('dq.driver_id', 'in', driverIds)
    .orderBy('q.code')
    .execute();
}

export async function replaceHeldQualifications(
  tx: TenantTx,
  driverId: string,
  held: ReadonlyArray<{ qualificationId: string; expiresAt: Date | null }>,
): Promise<void> {
  await tx.deleteFrom('driver_qualifications').where('driver_id', '=', driverId).execute();
  if (held.length === 0) return;
  await tx
    .insertInto('driver_qualifications')
    .values(held.map((h) => ({ driver_id: driverId, qualification_id: h.qualificationId, expires_at: h.expiresAt })))
    .execute();
}

export async function selectDriverPage(
  tx: TenantTx,
  filter: {
    q?: string;
    includeArchived?: boolean;
    dutyStatus?: 'on_duty' | 'off_duty';
    qualificationId?: string;
    expiringWithinDays?: number;
    after?: { k: string; id: string };
    limit: number;
  },
): Promise<DriverRow[]> {
  let query = tx.selectFrom('drivers').selectAll('drivers');
  if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
  if (filter.dutyStatus) query = query.where('duty_status', '=', filter.dutyStatus);
  if (filter.q) {
    const pattern = containsPattern(filter.q);
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('employee_no', 'ilike', pattern), eb('email', 'ilike', pattern)]));
  }
  if (filter.qualificationId) {
    const qualificationId = filter.qualificationId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('driver_qualifications as dq')
          .select(sql`1`.as('one'))
          .whereRef('dq.driver_id', '=', 'drivers.id')
          .where('dq.qualification_id', '=', qualificationId),
      ),
    );
  }
  if (filter.expiringWithinDays !== undefined) {
    const days = filter.expiringWithinDays;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('driver_qualifications as dq')
          .select(sql`1`.as('one'))
          .whereRef('dq.driver_id', '=', 'drivers.id')
          .where('dq.expires_at', 'is not', null)
          .where('dq.expires_at', '<=', sql<Date>`now() + make_interval(days => ${days})`),
      ),
    );
  }
  if (filter.after) {
    const after = filter.after;
    query = query.where((eb) => eb(eb.refTuple(sql<string>`lower(name)`, 'id'), '>', eb.tuple(after.k, after.id)));
  }
  return query.orderBy(sql`lower(name)`).orderBy('id').limit(filter.limit + 1).execute();
}

export async function selectExpiringQualifications(
  tx: TenantTx,
  withinDays: number,
): Promise<Array<{ driver_id: string; driver_name: string; code: string; expires_at: Date }>> {
  const rows = await tx
    .selectFrom('driver_qualifications as dq')
    .innerJoin('drivers as d', 'd.id', 'dq.driver_id')
    .innerJoin('qualifications as q', 'q.id', 'dq.qualification_id')
    .select(['dq.driver_id', 'd.name as driver_name', 'q.code', 'dq.expires_at'])
    .where('d.archived_at', 'is', null)
    .where('dq.expires_at', 'is not', null)
    .where('dq.expires_at', '<=', sql<Date>`now() + make_interval(days => ${withinDays})`)
    .orderBy('dq.expires_at')
    .execute();
  return rows.map((r) => ({ ...r, expires_at: r.expires_at as Date }));
}
