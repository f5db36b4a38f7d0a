import { sql, type Transaction } from 'kysely';

export const name = '202612010900_reporting_rollup_compact';

/**
 * Compact analytics roll-ups (docs/performance.md, "Analytics: the daily roll-up"):
 * - `analytics_histogram`: one row per (grain, period, equipment type, phase) with the count, the
 *   sum and the histogram as sorted `buckets`/`counts` arrays, converted here from the per-bucket
 *   rows of `analytics_rollup` (which keeps only counts and queue time);
 * - `analytics_rollup_resource`: per (grain, period, kind, equipment type, resource) the busy
 *   seconds and first dispatch of equipment and drivers, and the requests per site, filled here from
 *   the status reports in the roll-up's time zone;
 * - `analytics_rollup_state.max_span_seconds`: the longest finished span.
 * The SQL is this migration's own copy (module code may change later); `cli analytics rebuild`
 * recomputes the same rows.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create table analytics_histogram (
      grain text not null check (grain in ('day', 'month')),
      period date not null,
      equipment_type_id uuid not null,
      metric text not null,
      n bigint not null,
      total float8 not null,
      buckets int[] not null,
      counts bigint[] not null,
      primary key (grain, period, equipment_type_id, metric)
    )`.execute(db);
  await sql`
    insert into analytics_histogram (grain, period, equipment_type_id, metric, n, total, buckets, counts)
    select grain, period, equipment_type_id, metric, sum(n), sum(total), array_agg(bucket order by bucket), array_agg(n order by bucket)
    from analytics_rollup
    where metric in ('wait', 'td', 'ts', 'os')
    group by grain, period, equipment_type_id, metric`.execute(db);
  await sql`delete from analytics_rollup where metric in ('wait', 'td', 'ts', 'os')`.execute(db);
  await sql`
    create table analytics_rollup_resource (
      grain text not null check (grain in ('day', 'month')),
      kind text not null check (kind in ('equipment', 'driver', 'site')),
      period date not null,
      equipment_type_id uuid not null,
      resource_id uuid not null,
      created bigint not null,
      busy float8 not null,
      first_dispatched timestamptz,
      -- Covering: a range read is an index-only scan (the rows of one period are scattered in the heap).
      primary key (grain, kind, period, equipment_type_id, resource_id) include (created, busy, first_dispatched)
    )`.execute(db);
  await sql`alter table analytics_rollup_state add column max_span_seconds float8 not null default 0`.execute(db);
  await sql`
    with st as (select time_zone as tz from analytics_rollup_state where time_zone is not null),
    r as (
      select r.equipment_type_id, r.equipment_id, r.driver_id, r.site_id, r.created_at, r.dispatched_at, r.finished_at, st.tz
      from status_reports r cross join st
    ),
    spans as (
      select g.grain, g.period, r.equipment_type_id, r.equipment_id, r.driver_id, r.dispatched_at,
             date_part('epoch', least(r.finished_at, g.pe) - greatest(r.dispatched_at, g.ps)) as busy
      from r cross join lateral (
        select 'day' as grain, x::date as period, (x::date::timestamp at time zone r.tz) as ps, ((x::date + 1)::timestamp at time zone r.tz) as pe
        from generate_series((r.dispatched_at at time zone r.tz)::date, (r.finished_at at time zone r.tz)::date, interval '1 day') x
        union all
        select 'month', x::date, (x::date::timestamp at time zone r.tz), ((x::date + interval '1 month')::timestamp at time zone r.tz)
        from generate_series(date_trunc('month', r.dispatched_at at time zone r.tz), date_trunc('month', r.finished_at at time zone r.tz), interval '1 month') x
      ) g
      where r.dispatched_at is not null and r.finished_at is not null
        and r.dispatched_at < g.pe and (r.finished_at > g.ps or r.dispatched_at >= g.ps)
    ),
    contrib as (
      select grain, period, 'equipment' as kind, equipment_type_id, equipment_id as resource_id, 0 as created, busy, dispatched_at from spans where equipment_id is not null
      union all
      select grain, period, 'driver', t.id, driver_id, 0, busy, dispatched_at
      from spans cross join lateral (values (equipment_type_id), ('00000000-0000-0000-0000-000000000000'::uuid)) t(id) where driver_id is not null
      union all
      select g.grain, g.period, 'site', t.id, site_id, 1, 0, null
      from r cross join lateral (values ('day', (created_at at time zone tz)::date), ('month', date_trunc('month', created_at at time zone tz)::date)) g(grain, period)
        cross join lateral (values (equipment_type_id), ('00000000-0000-0000-0000-000000000000'::uuid)) t(id)
      where site_id is not null
    )
    insert into analytics_rollup_resource (grain, kind, period, equipment_type_id, resource_id, created, busy, first_dispatched)
    select grain, kind, period, equipment_type_id, resource_id, sum(created), sum(busy), min(dispatched_at)
    from contrib
    group by grain, kind, period, equipment_type_id, resource_id
    order by grain, kind, period`.execute(db);
  await sql`
    update analytics_rollup_state
    set max_span_seconds = coalesce((select max(date_part('epoch', finished_at - dispatched_at)) from status_reports), 0)`.execute(db);
}
