import { sql, type Transaction } from 'kysely';

export const name = '202612026001_alerts_qualification_shortfall';

/**
 * A fourth alert kind: the qualification-expiry impact forecast (modules/planning) found a day on
 * which scheduled work of a type has fewer qualified drivers on shift than jobs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`alter table alerts drop constraint alerts_kind_check`.execute(db);
  await sql`alter table alerts add constraint alerts_kind_check check (kind in ('queued_too_long', 'urgent_queue_depth', 'qualification_expiring', 'qualification_shortfall'))`.execute(
    db,
  );
}
