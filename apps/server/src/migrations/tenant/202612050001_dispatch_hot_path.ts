import { sql, type Transaction } from 'kysely';
import { DRIVER_AVAILABLE_AT_BODY, EQUIPMENT_AVAILABLE_AT_BODY } from './202612031001_dispatch_assignment_planning.js';

export const name = '202612050001_dispatch_hot_path';

/**
 * Two costs of the automatic assignment that grew with the fleet or were paid again on every call.
 *
 * 1. The driver pool walks an index. `reserveBestPair` ranks the 200 longest-idle free qualified
 *    drivers (`order by idle_since, id limit 200`), but `drivers_on_duty_idx` is on `idle_since`
 *    alone, so every on-duty driver was checked and sorted before the 200 were kept: with 6,000
 *    drivers the pool alone took about 20 ms of a 27 ms pick. On `(idle_since, id)` the scan stops
 *    at the 200th driver that qualifies.
 *
 * 2. The assignment trigger's planning checks keep their plans. `planning_driver_available_at` and
 *    `planning_equipment_available_at` (migration 202612031001) were SQL functions called from the
 *    plpgsql trigger: such a call is not inlined, and an SQL function's body is parsed and planned
 *    again on every call. The driver's body is large (leave, shift patterns, exceptions), so every
 *    automatic assignment paid its planning in the trigger. As plpgsql functions returning the same
 *    expression, the body is prepared once per session and its plan cached like the trigger's own
 *    statements. Same bodies (the constants `availability.predicate.test.ts` checks against the
 *    matcher's predicates), same results.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`create index drivers_free_pool_idx on drivers (idle_since, id) where duty_status = 'on_duty' and archived_at is null`.execute(
    db,
  );
  await sql`drop index drivers_on_duty_idx`.execute(db);
  await sql`create or replace function planning_driver_available_at(p_driver uuid, p_at timestamptz, p_need float8) returns boolean language plpgsql stable as $$ begin return ${sql.raw(DRIVER_AVAILABLE_AT_BODY)}; end $$`.execute(
    db,
  );
  await sql`create or replace function planning_equipment_available_at(p_equipment uuid, p_at timestamptz, p_need float8) returns boolean language plpgsql stable as $$ begin return ${sql.raw(EQUIPMENT_AVAILABLE_AT_BODY)}; end $$`.execute(
    db,
  );
}
