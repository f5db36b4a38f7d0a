import { sql, type Transaction } from 'kysely';

export const name = '202611250602_reporting_analytics_indexes';

/**
 * Narrow covering indexes for the analytics queries, so a year of a busy tenant is read by
 * index-only scans instead of the wide report rows (docs/performance.md, "Reports and analytics").
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create index status_reports_analytics_dispatched on status_reports (dispatched_at)
    include (created_at, queued_at, on_site_at, returning_at, finished_at, site_id, equipment_type_id, equipment_id, driver_id)`.execute(
    db,
  );
  await sql`
    create index status_reports_analytics_created on status_reports (created_at)
    include (site_id, equipment_type_id)`.execute(db);
  await sql`
    create index status_reports_analytics_finished on status_reports (finished_at)
    include (final_status, dispatched_at, site_id, equipment_type_id, equipment_id, driver_id)`.execute(db);
}
