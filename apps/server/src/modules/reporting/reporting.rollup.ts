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

/** Adds the status reports matching `where` (a condition on `status_reports r`) to the roll-up. */
async function addReports(tx: TenantTx, where: RawBuilder<unknown>): Promise<void> {
  await sql`
    with st as (select time_zone as tz from analytics_rollup_state where time_zone is not null for share),
    r as (
      select r.equipment_type_id, r.final_status, r.created_at, coalesce(r.queued_at, r.created_at) as queued_at, r.dispatched_at,
             r.on_site_at, r.returning_at, r.finished_at, st.tz
      from status_reports r cross join st
      where ${where}
    ),
    contrib as (
      select equipment_type_id, 'created' as metric, (created_at at time zone tz)::date as d,
             extract(hour from created_at at time zone tz)::int as bucket, 1 as n, 0::float8 as total, false as day_only
      from r
      union all
      select equipment_type_id, final_status, (finished_at at time zone tz)::date, 0, 1, 0, false from r
      union all
      select equipment_type_id, p.metric, (dispatched_at at time zone tz)::date, ${bucketSql(sql`p.v`)}, 1, p.v, false
      from r cross join lateral ${phaseValuesSql}
      where p.v is not null
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
    grained as (
      select 'day' as grain, d as period, equipment_type_id, metric, bucket, n, total from contrib
      union all
      select 'month', date_trunc('month', d)::date, equipment_type_id, metric, bucket, n, total from contrib where not day_only
    )
    insert into analytics_rollup as a (grain, period, equipment_type_id, metric, bucket, n, total)
    select grain, period, equipment_type_id, metric, bucket, sum(n), sum(total)
    from grained
    group by grain, period, equipment_type_id, metric, bucket
    on conflict (grain, period, equipment_type_id, metric, bucket)
    do update set n = a.n + excluded.n, total = a.total + excluded.total`.execute(tx);
}

/** Called in the transaction that writes a status report: adds that report to the roll-up. */
export async function addReportToRollup(tx: TenantTx, reportId: string): Promise<void> {
  await addReports(tx, sql`r.id = ${reportId}::uuid`);
}

export type RollupState = { timeZone: string | null; built: boolean };

export async function readRollupState(tx: TenantTx): Promise<RollupState> {
  const { rows } = await sql<{ time_zone: string | null; built: boolean }>`select time_zone, built from analytics_rollup_state`.execute(tx);
  return { timeZone: rows[0]?.time_zone ?? null, built: rows[0]?.built ?? false };
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
  await addReports(tx, sql`true`);
  await sql`update analytics_rollup_state set built = true, rebuilt_at = now()`.execute(tx);
  const { rows } = await sql<{ reports: number; rows: number }>`
    select (select count(*) from status_reports)::int as reports, (select count(*) from analytics_rollup)::int as rows`.execute(tx);
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
export async function rebuildTenantRollup(database: Database, slug: string): Promise<{ timeZone: string; reports: number; rows: number; ms: number }> {
  const tenant = await findTenantBySlug(database.db, slug);
  if (!tenant) throw notFound('tenant', slug);
  const started = Date.now();
  const result = await withTenant(database.db, slug, (tx) => rebuildRollup(tx, tenant.time_zone));
  return { timeZone: tenant.time_zone, ...result, ms: Date.now() - started };
}
