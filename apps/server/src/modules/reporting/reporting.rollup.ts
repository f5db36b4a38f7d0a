import { sql, type RawBuilder } from 'kysely';
import { findTenantBySlug, withTenant, type Database, type TenantTx } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';

/**
 * The analytics roll-up: one row per (grain, local day or month, equipment type, metric, bucket)
 * holding a count `n` and a sum `total`, added to in the transaction that writes each status report
 * (completed and recalled dispatches) and rebuilt from the reports by `cli analytics rebuild`.
 *
 * | metric | keyed by the local day of | bucket | n | total |
 * |---|---|---|---|---|
 * | `created` | created_at | local hour of day (0–23) | dispatches | – |
 * | `completed`, `recalled` | finished_at | 0 | dispatches | – |
 * | `wait`, `td`, `ts`, `os` | dispatched_at | histogram bucket of the duration | dispatches | seconds |
 * | `queue` (day grain only) | every local day the queue span overlaps | 0 | spans covering the day's start | queue-seconds in the day |
 *
 * Durations go into log-spaced buckets (DDSketch style): bucket 0 holds [0, 1 s); bucket i + 1
 * holds (γ^(i−1), γ^i] seconds with γ = (1 + α)/(1 − α), α = 1 %, and is represented by
 * 2γ^i/(γ + 1), within α of every value in it. So a percentile read from merged histograms is within
 * 1 % (or 0.5 s below one second) of a value between the two order statistics that
 * `percentile_cont` interpolates between; counts, sums and means are exact.
 *
 * Since migration 202612010900 the duration metrics live in `analytics_histogram` instead: one row
 * per (grain, period, equipment type, phase) with the count, the sum and the histogram as two sorted
 * arrays (`buckets`, `counts`), so a year reads ≈ 240 rows. `analytics_rollup_resource` holds, per
 * (grain, period, kind, equipment type, resource): for `equipment` and `driver` the busy seconds of
 * finished spans inside the local day or month and the earliest dispatch of a span overlapping it;
 * for `site` the requests created in it. Driver and site rows are also summed over all types under
 * the type id ALL_TYPES, so a read without a type filter reads a fifth of the rows. `analytics_rollup_state.max_span_seconds` (the longest
 * finished span) bounds the raw edge reads of utilisation.
 *
 * Open and cancelled dispatches are not rolled up (they still change): analytics read them raw.
 */
export const HISTOGRAM_ALPHA = 0.01;
export const HISTOGRAM_GAMMA = (1 + HISTOGRAM_ALPHA) / (1 - HISTOGRAM_ALPHA);

/** The bucket of a duration in seconds (SQL, so roll-up and raw edges bucket identically). */
export const bucketSql = (v: RawBuilder<unknown>): RawBuilder<number> =>
  sql<number>`(case when ${v} < 1 then 0 else 1 + ceil(ln(${v}::float8) / ln(${HISTOGRAM_GAMMA}::float8))::int end)`;

/** The value a bucket stands for. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0.5;
  return (2 * HISTOGRAM_GAMMA ** (bucket - 1)) / (HISTOGRAM_GAMMA + 1);
}

/** The `equipment_type_id` of driver and site roll-up rows that sum every type. */
export const ALL_TYPES = '00000000-0000-0000-0000-000000000000';

export const PHASE_METRICS = ['wait', 'td', 'ts', 'os'] as const;
export type PhaseMetric = (typeof PHASE_METRICS)[number];

/**
 * Phase durations (seconds) of a row with created_at, queued_at (already coalesced), dispatched_at,
 * on_site_at, returning_at, finished_at — the same expressions the raw analytics use.
 */
export const phaseValuesSql = sql`(values
  ('wait', date_part('epoch', dispatched_at - queued_at)),
  ('td', date_part('epoch', dispatched_at - created_at)),
  ('ts', date_part('epoch', on_site_at - dispatched_at)),
  ('os', date_part('epoch', coalesce(returning_at, finished_at) - on_site_at))) p(metric, v)`;

/** The rows of `from r` (status reports) matching `where`, with the roll-up's time zone as `tz`. */
const reportsCte = (where: RawBuilder<unknown>, from: RawBuilder<unknown>) => sql`
    st as (select time_zone as tz from analytics_rollup_state where time_zone is not null for share),
    r as (
      select r.equipment_type_id, r.equipment_id, r.driver_id, r.site_id, r.final_status, r.created_at,
             coalesce(r.queued_at, r.created_at) as queued_at, r.dispatched_at, r.on_site_at, r.returning_at, r.finished_at, st.tz
      from ${from} r cross join st
      where ${where}
    )`;

/**
 * The CTEs (after a `with`) that add the status reports of `from` (a table or an earlier CTE
 * yielding status-report rows) matching `where` to the roll-ups: counts and queue time
 * (`analytics_rollup`), the phase histograms (`analytics_histogram`), the per-resource sums
 * (`analytics_rollup_resource`) and the longest span: ONE statement, so a finishing dispatch pays
 * one round trip for its report and its roll-up (`recordStatusReport` puts the report's insert in
 * front of these). The statement is always the same, so writers lock roll-up rows in one order.
 */
export const rollupCtes = (where: RawBuilder<unknown>, from: RawBuilder<unknown>) => sql`
    ${reportsCte(where, from)},
    counts as (
      select equipment_type_id, 'created' as metric, (created_at at time zone tz)::date as d,
             extract(hour from created_at at time zone tz)::int as bucket, 1 as n, 0::float8 as total, false as day_only
      from r
      union all
      select equipment_type_id, final_status, (finished_at at time zone tz)::date, 0, 1, 0, false from r
      union all
      select r.equipment_type_id, 'queue', g.d, 0,
             case when r.queued_at <= g.day_start and r.dispatched_at > g.day_start then 1 else 0 end,
             date_part('epoch', least(r.dispatched_at, g.day_end) - greatest(r.queued_at, g.day_start)), true
      from r cross join lateral (
        select x::date as d, (x::date::timestamp at time zone r.tz) as day_start, ((x::date + 1)::timestamp at time zone r.tz) as day_end
        from generate_series((r.queued_at at time zone r.tz)::date, (r.dispatched_at at time zone r.tz)::date, interval '1 day') x
      ) g
      where r.queued_at < r.dispatched_at and least(r.dispatched_at, g.day_end) > greatest(r.queued_at, g.day_start)
    ),
    counts_grained as (
      select 'day' as grain, d as period, equipment_type_id, metric, bucket, n, total from counts
      union all
      select 'month', date_trunc('month', d)::date, equipment_type_id, metric, bucket, n, total from counts where not day_only
    ),
    rollup_added as (
      insert into analytics_rollup as a (grain, period, equipment_type_id, metric, bucket, n, total)
      select grain, period, equipment_type_id, metric, bucket, sum(n), sum(total)
      from counts_grained
      group by grain, period, equipment_type_id, metric, bucket
      on conflict (grain, period, equipment_type_id, metric, bucket)
      do update set n = a.n + excluded.n, total = a.total + excluded.total
      returning 1
    ),
    phase_values as (
      select r.equipment_type_id, p.metric, (r.dispatched_at at time zone r.tz)::date as d, ${bucketSql(sql`p.v`)} as bucket, p.v
      from r cross join lateral ${phaseValuesSql}
      where p.v is not null
    ),
    phase_grained as (
      select 'day' as grain, d as period, equipment_type_id, metric, bucket, count(*) as n, sum(v) as total from phase_values group by 1, 2, 3, 4, 5
      union all
      select 'month', date_trunc('month', d)::date, equipment_type_id, metric, bucket, count(*), sum(v) from phase_values group by 1, 2, 3, 4, 5
    ),
    histogram_added as (
      insert into analytics_histogram as a (grain, period, equipment_type_id, metric, n, total, buckets, counts)
      select grain, period, equipment_type_id, metric, sum(n), sum(total), array_agg(bucket order by bucket), array_agg(n order by bucket)
      from phase_grained
      group by grain, period, equipment_type_id, metric
      on conflict (grain, period, equipment_type_id, metric)
      do update set n = a.n + excluded.n, total = a.total + excluded.total,
        (buckets, counts) = (
          select array_agg(b order by b), array_agg(c order by b)
          from (
            select b, sum(c)::bigint as c
            from (select * from unnest(a.buckets, a.counts) u(b, c) union all select * from unnest(excluded.buckets, excluded.counts) e(b, c)) m
            group by b
          ) s)
      returning 1
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
    resource_contrib as (
      select grain, period, 'equipment' as kind, equipment_type_id, equipment_id as resource_id, 0 as created, busy, dispatched_at from spans where equipment_id is not null
      union all
      select grain, period, 'driver', t.id, driver_id, 0, busy, dispatched_at
      from spans cross join lateral (values (equipment_type_id), ('00000000-0000-0000-0000-000000000000'::uuid)) t(id) where driver_id is not null
      union all
      select g.grain, g.period, 'site', t.id, site_id, 1, 0, null
      from r cross join lateral (values ('day', (created_at at time zone tz)::date), ('month', date_trunc('month', created_at at time zone tz)::date)) g(grain, period)
        cross join lateral (values (equipment_type_id), ('00000000-0000-0000-0000-000000000000'::uuid)) t(id)
      where site_id is not null
    ),
    resources_added as (
      insert into analytics_rollup_resource as a (grain, kind, period, equipment_type_id, resource_id, created, busy, first_dispatched)
      select grain, kind, period, equipment_type_id, resource_id, sum(created), sum(busy), min(dispatched_at)
      from resource_contrib
      group by grain, kind, period, equipment_type_id, resource_id
      order by grain, kind, period
      on conflict (grain, kind, period, equipment_type_id, resource_id)
      do update set created = a.created + excluded.created, busy = a.busy + excluded.busy,
        first_dispatched = least(a.first_dispatched, excluded.first_dispatched)
      returning 1
    ),
    -- The longest finished span bounds how far before a range a span that reaches into it can start.
    longest_span as (
      update analytics_rollup_state s set max_span_seconds = m.v
      from (select max(date_part('epoch', finished_at - dispatched_at)) as v from r) m
      where m.v > s.max_span_seconds
      returning 1
    )`;

/** Adds the status reports matching `where` (a condition on `status_reports r`) to the roll-ups, in one statement. */
export async function addReports(tx: TenantTx, where: RawBuilder<unknown>): Promise<void> {
  await sql`with ${rollupCtes(where, sql`status_reports`)} select 1`.execute(tx);
}

/** Called in the transaction that writes a status report: adds that report to the roll-up. */
export async function addReportToRollup(tx: TenantTx, reportId: string): Promise<void> {
  await addReports(tx, sql`r.id = ${reportId}::uuid`);
}

export type RollupState = { timeZone: string | null; built: boolean; maxSpanSeconds: number };

export async function readRollupState(tx: TenantTx): Promise<RollupState> {
  const { rows } = await sql<{ time_zone: string | null; built: boolean; max_span_seconds: number }>`
    select time_zone, built, max_span_seconds from analytics_rollup_state`.execute(tx);
  return { timeZone: rows[0]?.time_zone ?? null, built: rows[0]?.built ?? false, maxSpanSeconds: Number(rows[0]?.max_span_seconds ?? 0) };
}

/**
 * Recomputes the whole roll-up from the status reports, in the tenant's time zone (run after a time
 * zone change, or for a tenant that had reports before the roll-up existed). One transaction: the
 * state row is locked first, so report writers wait for it and nothing is counted twice or missed.
 */
export async function rebuildRollup(tx: TenantTx, timeZone: string): Promise<{ reports: number; rows: number }> {
  await sql`select 1 from analytics_rollup_state for update`.execute(tx);
  await sql`update analytics_rollup_state set time_zone = ${timeZone}, built = false`.execute(tx);
  await sql`delete from analytics_rollup`.execute(tx);
  await sql`delete from analytics_histogram`.execute(tx);
  await sql`delete from analytics_rollup_resource`.execute(tx);
  await sql`update analytics_rollup_state set max_span_seconds = 0`.execute(tx);
  await addReports(tx, sql`true`);
  await sql`update analytics_rollup_state set built = true, rebuilt_at = now()`.execute(tx);
  const { rows } = await sql<{ reports: number; rows: number }>`
    select (select count(*) from status_reports)::int as reports,
      ((select count(*) from analytics_rollup) + (select count(*) from analytics_histogram) + (select count(*) from analytics_rollup_resource))::int as rows`.execute(
    tx,
  );
  return rows[0] ?? { reports: 0, rows: 0 };
}

/** A percentile (0..1) as `percentile_cont` defines it, read from a histogram of (bucket, count). */
export function histogramPercentile(buckets: ReadonlyArray<{ bucket: number; n: number }>, q: number): number | null {
  const sorted = [...buckets].filter((b) => b.n > 0).sort((a, b) => a.bucket - b.bucket);
  const count = sorted.reduce((s, b) => s + b.n, 0);
  if (count === 0) return null;
  const rank = (count - 1) * q;
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const at = (index: number): number => {
    let seen = 0;
    for (const b of sorted) {
      seen += b.n;
      if (index < seen) return bucketValue(b.bucket);
    }
    return bucketValue(sorted[sorted.length - 1]?.bucket ?? 0);
  };
  const low = at(lower);
  return upper === lower ? low : low + (rank - lower) * (at(upper) - low);
}

/** `cli analytics rebuild <slug>`: rebuilds one tenant's roll-up in its registered time zone. */
export async function rebuildTenantRollup(
  database: Database,
  slug: string,
): Promise<{ timeZone: string; reports: number; rows: number; ms: number }> {
  const tenant = await findTenantBySlug(database.db, slug);
  if (!tenant) throw notFound('tenant', slug);
  const started = Date.now();
  const result = await withTenant(database.db, slug, (tx) => rebuildRollup(tx, tenant.time_zone));
  return { timeZone: tenant.time_zone, ...result, ms: Date.now() - started };
}
