import { sql, type RawBuilder } from 'kysely';
import { ACTIVE_SQL } from './views.js';

/**
 * WHICH resources may serve a queued request: the one place that says it. Matching
 * (`reserveBestPair` in dispatch.repo.ts) filters with these predicates and only orders and locks
 * what they let through. A new condition on candidates (shifts, leave, maintenance windows,
 * regions) is one more `and …` here, over the columns of the driver or machine row (add a field to
 * `input` for what it needs of the request, e.g. its id to read its site or start).
 * The database's assignment trigger (`dispatch_check_assignment`) re-checks the invariants; the
 * manual pick (`lockManualPick`) and the explanation (`selectExplainFacts`) name each reason
 * separately, so a new condition should also be named there.
 */

/**
 * A free, qualified driver `dr` (a `drivers` row alias) for the request: on duty, not archived,
 * not on an active dispatch, holding every `required` qualification unexpired, and not among
 * `declined` (the drivers who declined this request). Each required ticket is one lookup on the
 * (driver, qualification) key: a pick may check a few thousand drivers of a large fleet before it
 * has its 200 longest idle, so this must not read the qualification's whole index per driver.
 */
export function freeQualifiedDriver(dr: string, input: { required: readonly string[]; declined: readonly string[] }): RawBuilder<boolean> {
  const id = sql.ref(`${dr}.id`);
  return sql<boolean>`(${sql.ref(`${dr}.duty_status`)} = 'on_duty' and ${sql.ref(`${dr}.archived_at`)} is null
    and not (${id} = any(${[...input.declined]}::uuid[]))
    and not exists (select 1 from dispatches x where x.driver_id = ${id} and x.status in (${ACTIVE_SQL}))
    and not exists (select 1 from unnest(${[...input.required]}::uuid[]) as r(qualification_id) where not exists (
      select 1 from driver_qualifications dq where dq.driver_id = ${id} and dq.qualification_id = r.qualification_id
        and (dq.expires_at is null or dq.expires_at > now()))))`;
}

/**
 * A free machine `e` (an `equipment` row alias): available (so not retired, not in maintenance, not
 * on a job); of the type when `typeId` is given (the queue's count of free machines per type uses it
 * without one).
 */
export function freeEquipmentOfType(e: string, input: { typeId?: string } = {}): RawBuilder<boolean> {
  const ofType = input.typeId === undefined ? sql`` : sql` and ${sql.ref(`${e}.equipment_type_id`)} = ${input.typeId}`;
  return sql<boolean>`(${sql.ref(`${e}.status`)} = 'available'${ofType})`;
}
