import { sql, type Transaction } from 'kysely';

export const name = '202612010800_reporting_analytics_rollup';

/**
 * The analytics roll-up (docs/performance.md, "Reports and analytics"): per local day and per
 * local month × equipment type × metric × bucket, a count and a sum, added to in the transaction
 * that writes each status report. `analytics_rollup_state` holds the time zone its days are in (the
 * tenant's, read from the registry here) and whether it covers every report: a tenant that already
 * has reports starts unbuilt (analytics read the raw rows) until `cli analytics rebuild <slug>`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table analytics_rollup (
      grain text not null check (grain in ('day', 'month')),
      period date not null,
      equipment_type_id uuid not null,
      metric text not null,
      bucket int not null,
      n bigint not null,
      total float8 not null,
      primary key (grain, period, equipment_type_id, metric, bucket)
    )`.execute(db);
  await sql`
    create table analytics_rollup_state (
      id boolean primary key default true check (id),
      time_zone text,
      built boolean not null,
      rebuilt_at timestamptz
    )`.execute(db);
  // Two statements, not one joining the registry with the tenant's tables (schema-based sharding
  // forbids that join: docs/scaling.md).
  const registry = await sql<{ time_zone: string }>`
    select t.time_zone from control.tenants t where 't_' || t.slug = current_schema()`.execute(db);
  const timeZone = registry.rows[0]?.time_zone ?? 'UTC';
  await sql`
    insert into analytics_rollup_state (time_zone, built)
    select ${timeZone}, not exists (select 1 from status_reports)`.execute(db);
}
