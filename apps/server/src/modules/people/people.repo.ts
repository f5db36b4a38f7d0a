import { sql, type Selectable } from 'kysely';
import { containsPattern, type TenantTx } from '../../platform/db/index.js';
import { lowerText, micros, plainText, type Keyset, type SortKey } from './keyset.js';
import { regionVisibleSql, type RegionSubject } from '../regions/index.js';
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

export const QUALIFICATION_SORT_KEYS: Record<'code' | 'name' | 'createdAt' | 'updatedAt', SortKey> = {
  code: lowerText('qualifications.code'),
  name: lowerText('qualifications.name'),
  createdAt: micros('qualifications.created_at'),
  updatedAt: micros('qualifications.updated_at'),
};

export async function selectQualificationPage(
  tx: TenantTx,
  filter: { q?: string; includeArchived?: boolean; keyset: Keyset; limit: number },
): Promise<Array<QualificationRow & { sort_key: string }>> {
  const { keyset } = filter;
  let query = tx.selectFrom('qualifications').selectAll().select(keyset.sortKey.as('sort_key'));
  if (!filter.includeArchived) query = query.where('archived_at', 'is', null);
  if (filter.q)
    query = query.where((eb) =>
      eb.or([eb('code', 'ilike', containsPattern(filter.q ?? '')), eb('name', 'ilike', containsPattern(filter.q ?? ''))]),
    );
  if (keyset.after) query = query.where(keyset.after);
  return query
    .orderBy(keyset.expr, keyset.direction)
    .orderBy('id', keyset.direction)
    .limit(filter.limit + 1)
    .execute();
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

export const DRIVER_SORT_KEYS: Record<'name' | 'dutyStatus' | 'idleSince' | 'createdAt' | 'updatedAt', SortKey> = {
  name: lowerText('drivers.name'),
  dutyStatus: plainText('drivers.duty_status'),
  idleSince: micros('drivers.idle_since'),
  createdAt: micros('drivers.created_at'),
  updatedAt: micros('drivers.updated_at'),
};

export async function upsertHeldQualification(
  tx: TenantTx,
  driverId: string,
  qualificationId: string,
  expiresAt: Date | null,
): Promise<void> {
  await tx
    .insertInto('driver_qualifications')
    .values({ driver_id: driverId, qualification_id: qualificationId, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['driver_id', 'qualification_id']).doUpdateSet({ expires_at: expiresAt, updated_at: new Date() }))
    .execute();
}

export async function deleteHeldQualification(tx: TenantTx, driverId: string, qualificationId: string): Promise<boolean> {
  const result = await tx
    .deleteFrom('driver_qualifications')
    .where('driver_id', '=', driverId)
    .where('qualification_id', '=', qualificationId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function selectDriverPage(
  tx: TenantTx,
  filter: {
    q?: string;
    includeArchived?: boolean;
    dutyStatus?: 'on_duty' | 'off_duty';
    qualificationId?: string;
    expiringWithinDays?: number;
    region?: string;
    /** Whose region scope limits the list. */
    caller: RegionSubject;
    keyset: Keyset;
    limit: number;
  },
): Promise<Array<DriverRow & { sort_key: string }>> {
  const { keyset } = filter;
  let query = tx
    .selectFrom('drivers')
    .selectAll('drivers')
    .select(keyset.sortKey.as('sort_key'))
    .where(regionVisibleSql(filter.caller, 'drivers.region'));
  if (filter.region) query = query.where('drivers.region', '=', filter.region);
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
  if (keyset.after) query = query.where(keyset.after);
  return query
    .orderBy(keyset.expr, keyset.direction)
    .orderBy('drivers.id', keyset.direction)
    .limit(filter.limit + 1)
    .execute();
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

/** `select * from drivers where subject = $1 (or else lower(email) = $2) order by archived_at nulls first limit 1` */
export async function selectDriverOfPerson(
  tx: TenantTx,
  person: { subject: string | null; email: string | null },
): Promise<DriverRow | undefined> {
  const { subject, email } = person;
  if (subject === null && email === null) return undefined;
  return tx
    .selectFrom('drivers')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(subject !== null ? [eb('subject', '=', subject)] : []),
        ...(email !== null ? [eb(eb.fn('lower', ['email']), '=', email.toLowerCase())] : []),
      ]),
    )
    .orderBy(sql`subject is not distinct from ${subject}`, 'desc')
    .orderBy(sql`archived_at is null`, 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** `update drivers set name, email = pseudonym, phone, employee_no, status_note, position = null, archived, off duty where id` */
export async function pseudonymiseDriverById(tx: TenantTx, id: string, pseudonym: { name: string; email: string }): Promise<DriverRow> {
  return tx
    .updateTable('drivers')
    .set({
      name: pseudonym.name,
      email: pseudonym.email,
      phone: null,
      employee_no: null,
      status_note: null,
      lat: null,
      lng: null,
      position_at: null,
      duty_status: 'off_duty',
      archived_at: sql`coalesce(archived_at, now())`,
      version: sql`version + 1`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
