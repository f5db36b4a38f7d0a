import { sql, type Transaction } from 'kysely';

export const name = '202611250603_reporting_open_dispatches_index';

/**
 * Analytics reads finished dispatches from status_reports and only the open and cancelled ones
 * from `dispatches` (docs/decisions/0002-reporting-reads-across-modules.md); this small partial
 * index keeps that read from scanning the whole dispatch history.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create index dispatches_open_for_reporting on dispatches (created_at)
    include (site_id, equipment_type_id, equipment_id, driver_id, status, queued_at, dispatched_at, on_site_at, returning_at, cancelled_at)
    where status not in ('completed', 'recalled')`.execute(db);
}
