import { sql, type RawBuilder } from 'kysely';
import type { Analytics, AnalyticsQuery, DurationStats } from '@yardmaster/contracts';
import { regionScopeOf, type Caller } from '../../platform/caller.js';
import { csvLine } from '../../platform/csv.js';
import type { TenantTx } from '../../platform/db/index.js';
import { validationFailed } from '../../platform/errors.js';
import { regionVisibleSql, siteVisibleSql } from '../regions/index.js';
import {
  ALL_TYPES,
  PHASE_METRICS,
  bucketSql,
  histogramPercentile,
  phaseValuesSql,
  readRollupState,
  type PhaseMetric,
} from './reporting.rollup.js';

export type AnalyticsInput = Omit<AnalyticsQuery, 'format'> & { timeZone: string };
/**
 * `rollup: false` computes everything from the raw rows (tests compare the two). Percentiles come
 * from the roll-up's histograms only above `exactPercentilesUpTo` values (default 20,000): below
 * it the raw sort is cheap, so they stay exact.
 */
export type AnalyticsOptions = { rollup?: boolean; exactPercentilesUpTo?: number };

/** The longest range served with an hourly queue-depth series. */
export const HOURLY_QUEUE_MAX_DAYS = 31;

const MAX_RANGE_DAYS = 400;

const OPEN_FROM_DISPATCHES = sql`
  select id, site_id, equipment_type_id, equipment_id, driver_id, status,
         created_at, coalesce(queued_at, dispatched_at) as queued_at, dispatched_at, on_site_at,
         returning_at, cancelled_at as finished_at, coalesce(dispatched_at, cancelled_at) as left_queue_at
  from dispatches
  where status not in ('completed', 'recalled')`;

const FINISHED_FROM_REPORTS = sql`
  select id, site_id, equipment_type_id, equipment_id, driver_id, final_status as status,
         created_at, coalesce(queued_at, created_at) as queued_at, dispatched_at, on_site_at,
         returning_at, finished_at, dispatched_at as left_queue_at
  from status_reports`;

/**
 * The dispatches analytics reads, one row per dispatch with normalised columns:
 * id, site_id, equipment_type_id, equipment_id, driver_id, status, created_at, queued_at,
 * dispatched_at, on_site_at, returning_at, finished_at (completed/recalled/cancelled; null while
 * open) and left_queue_at (dispatched or cancelled out of the queue; null while queued).
 *
 * Finished dispatches (completed, recalled) come from `status_reports` — immutable, written in
 * the finishing transaction, with reporting's own covering indexes. Everything else (scheduled,
 * queued, active, cancelled) comes straight from the dispatch module's `dispatches` table, read
 * directly (docs/decisions/0002-reporting-reads-across-modules.md); queued_at is null for a
 * dispatch that never waited in the queue.
 */
async function dispatchSource(tx: TenantTx): Promise<{ relation: RawBuilder<unknown>; open: RawBuilder<unknown>; name: string }> {
  const { rows } = await sql<{ present: boolean }>`select to_regclass('dispatches') is not null as present`.execute(tx);
  if (!rows[0]?.present)
    return {
      name: 'status_reports',
      relation: sql`(${FINISHED_FROM_REPORTS})`,
      open: sql`(select * from (${FINISHED_FROM_REPORTS}) x where false)`,
    };
  return {
    name: 'status_reports + open and cancelled dispatches',
    relation: sql`(
      ${FINISHED_FROM_REPORTS}
      union all
      ${OPEN_FROM_DISPATCHES})`,
    open: sql`(${OPEN_FROM_DISPATCHES})`,
  };
}

/** 'YYYY-MM-DD' ± days (calendar arithmetic, no time zone involved). */
function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
const monthStart = (date: string): string => `${date.slice(0, 7)}-01`;
function nextMonthStart(date: string): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
}

/**
 * The whole local days inside [from, to): first and last (inclusive) as dates, or null when the
 * range holds no whole day; `fromDay`/`lastDay` are the local days of from and of the range's last
 * instant (the daily queue series runs over them).
 */
async function localDays(tx: TenantTx, f: string, t: string, tz: string) {
  const { rows } = await sql<{ fd: string; fa: boolean; td: string; tl: string }>`
    select (${f}::timestamptz at time zone ${tz})::date::text as fd,
           (date_trunc('day', ${f}::timestamptz at time zone ${tz}) at time zone ${tz}) = ${f}::timestamptz as fa,
           (${t}::timestamptz at time zone ${tz})::date::text as td,
           ((${t}::timestamptz - interval '1 microsecond') at time zone ${tz})::date::text as tl`.execute(tx);
  const r = rows[0] ?? { fd: '', fa: false, td: '', tl: '' };
  const first = r.fa ? r.fd : addDays(r.fd, 1);
  const last = addDays(r.td, -1);
  return { whole: first <= last ? { first, last } : null, fromDay: r.fd, lastDay: r.tl };
}

const statsOf = (row: { n: number; mean: number | null; p50: number | null; p90: number | null }): DurationStats => ({
  count: Number(row.n),
  mean: row.mean === null ? null : Math.round(Number(row.mean) * 10) / 10,
  p50: row.p50 === null ? null : Math.round(Number(row.p50) * 10) / 10,
  p90: row.p90 === null ? null : Math.round(Number(row.p90) * 10) / 10,
});

function offsetLabel(local: string, offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/**
 * Every dashboard figure for [from, to), computed in SQL. Durations in seconds. Hours are the
 * tenant's local hours: buckets start at a local hour boundary and step by one real hour, so a
 * spring-forward day has 23 buckets and a fall-back day 25 (its repeated hour labelled with each
 * offset).
 */
export async function computeAnalytics(
  tx: TenantTx,
  caller: Caller,
  input: AnalyticsInput,
  options: AnalyticsOptions = {},
): Promise<Analytics> {
  const from = new Date(input.from);
  const to = new Date(input.to);
  if (!(from < to)) throw validationFailed('empty range', [{ field: 'to', message: 'must be after from' }]);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw validationFailed('range too long', [{ field: 'to', message: `at most ${MAX_RANGE_DAYS} days after from` }]);
  }
  const rangeDays = (to.getTime() - from.getTime()) / 86_400_000;
  const resolution = input.queueDepthResolution ?? (rangeDays <= HOURLY_QUEUE_MAX_DAYS ? 'hour' : 'day');
  if (resolution === 'hour' && rangeDays > HOURLY_QUEUE_MAX_DAYS) {
    throw validationFailed('range too long for an hourly series', [
      { field: 'queueDepthResolution', message: `hourly queue depth is served for ranges up to ${HOURLY_QUEUE_MAX_DAYS} days; use day` },
    ]);
  }
  const tz = input.timeZone;
  const { relation: d, open, name: rawSource } = await dispatchSource(tx);
  const f = from.toISOString();
  const t = to.toISOString();
  const days = await localDays(tx, f, t, tz);
  // The roll-up serves whole local days when it is built in this time zone; a site filter reads the
  // raw rows (a site's year is small, and the roll-up has no site axis: see reporting.rollup.ts).
  // So does a region-limited caller (modules/regions): dispatches count by their site's region
  // (shared sites included), utilisation lists the machines and drivers they may see.
  const isRegionLimited = regionScopeOf(caller) !== null;
  const state = options.rollup === false || input.siteId || isRegionLimited ? null : await readRollupState(tx);
  const rollupUsable = Boolean(state?.built && state.timeZone === tz);
  const whole = rollupUsable ? days.whole : null;
  const source = whole ? `analytics_rollup (whole days ${whole.first} … ${whole.last}) + ${rawSource} at the edges` : rawSource;
  const typeOnly = input.equipmentTypeId ? sql`and equipment_type_id = ${input.equipmentTypeId}::uuid` : sql``;
  // Driver and site roll-up rows: one type's, or the sum over every type.
  const resourceType = sql`and equipment_type_id = ${input.equipmentTypeId ?? ALL_TYPES}::uuid`;
  let periods = sql`false`;
  let w0 = sql`null::timestamptz`;
  let w1 = sql`null::timestamptz`;
  const maxSpan = state?.maxSpanSeconds ?? 0;
  let edge = (_column: RawBuilder<unknown>): RawBuilder<unknown> => sql`true`;
  if (whole) {
    const firstMonth = whole.first.endsWith('-01') ? whole.first : nextMonthStart(whole.first);
    const endMonth = monthStart(addDays(whole.last, 1));
    // Disjuncts the primary key (grain, period, …) answers with index range scans.
    periods =
      firstMonth < endMonth
        ? sql`((grain = 'month' and period >= ${firstMonth}::date and period < ${endMonth}::date)
              or (grain = 'day' and period >= ${whole.first}::date and period < ${firstMonth}::date)
              or (grain = 'day' and period >= ${endMonth}::date and period <= ${whole.last}::date))`
        : sql`(grain = 'day' and period >= ${whole.first}::date and period <= ${whole.last}::date)`;
    w0 = sql`(${whole.first}::date::timestamp at time zone ${tz})`;
    w1 = sql`((${whole.last}::date + 1)::timestamp at time zone ${tz})`;
    edge = (column) =>
      sql`((${column} >= ${f}::timestamptz and ${column} < ${w0}) or (${column} >= ${w1} and ${column} < ${t}::timestamptz))`;
  }
  const filters = [
    sql`true`,
    ...(input.siteId ? [sql`site_id = ${input.siteId}::uuid`] : []),
    ...(input.equipmentTypeId ? [sql`equipment_type_id = ${input.equipmentTypeId}::uuid`] : []),
  ];
  const scope = sql.join(isRegionLimited ? [...filters, siteVisibleSql(caller, 'site_id')] : filters, sql` and `);
  // A visible machine's or driver's busy time is theirs wherever they worked (the list is scoped).
  const resourceScope = sql.join(filters, sql` and `);
  await sql`set local work_mem = '128MB'`.execute(tx);
  await sql`set local jit = on`.execute(tx); // tenant transactions run without JIT; scans of a year of reports may use it

  const countsOf = async (): Promise<{ created: number; completed: number; recalled: number; cancelled: number }> => {
    if (!whole) return (await rawCounts()).rows[0] ?? { created: 0, completed: 0, recalled: 0, cancelled: 0 };
    const { rows } = await sql<{ metric: string; n: number }>`
      select metric, sum(n)::int as n from (
        select metric, n from analytics_rollup where ${periods} and metric in ('created', 'completed', 'recalled') ${typeOnly}
        union all
        select 'created', 1 from status_reports where ${edge(sql`created_at`)} ${typeOnly}
        union all
        select final_status, 1 from status_reports where ${edge(sql`finished_at`)} ${typeOnly}
        union all
        select 'created', 1 from ${open} o where created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz ${typeOnly}
        union all
        select status, 1 from ${open} o where finished_at >= ${f}::timestamptz and finished_at < ${t}::timestamptz ${typeOnly}
      ) x group by metric`.execute(tx);
    const of = (metric: string): number => rows.find((r) => r.metric === metric)?.n ?? 0;
    return { created: of('created'), completed: of('completed'), recalled: of('recalled'), cancelled: of('cancelled') };
  };
  const rawCounts = () =>
    sql<{ created: number; completed: number; recalled: number; cancelled: number }>`
    select (select count(*) from ${d} d where ${scope} and created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz)::int as created,
           c.completed, c.recalled, c.cancelled
    from (
      select count(*) filter (where status = 'completed')::int as completed,
             count(*) filter (where status = 'recalled')::int as recalled,
             count(*) filter (where status = 'cancelled')::int as cancelled
      from ${d} d
      where ${scope} and finished_at >= ${f}::timestamptz and finished_at < ${t}::timestamptz
    ) c`.execute(tx);
  const counts = await countsOf();

  // Phase durations (seconds) of the dispatches dispatched in the range, one query per phase.
  const phases = {
    wait: sql`dispatched_at - queued_at`,
    td: sql`dispatched_at - created_at`,
    ts: sql`on_site_at - dispatched_at`,
    os: sql`coalesce(returning_at, finished_at) - on_site_at`,
  };
  const stats: Record<string, DurationStats> = {};
  if (whole) {
    // Whole days from the roll-up's histograms (one array row per period × type × phase), the edges
    // and the open dispatches bucketed alike; merged here.
    const { rows } = await sql<{ metric: PhaseMetric; buckets: number[]; counts: Array<string | number>; total: number }>`
      select metric, buckets, counts, total from analytics_histogram where ${periods} and metric in ('wait', 'td', 'ts', 'os') ${typeOnly}
      union all
      select metric, array[bucket], array[count(*)], sum(v) from (
        select p.metric, ${bucketSql(sql`p.v`)} as bucket, p.v
        from (
          select created_at, coalesce(queued_at, created_at) as queued_at, dispatched_at, on_site_at, returning_at, finished_at
          from status_reports where ${edge(sql`dispatched_at`)} ${typeOnly}
          union all
          select created_at, queued_at, dispatched_at, on_site_at, returning_at, finished_at
          from ${open} o where dispatched_at >= ${f}::timestamptz and dispatched_at < ${t}::timestamptz ${typeOnly}
        ) s cross join lateral ${phaseValuesSql}
        where p.v is not null
      ) x group by metric, bucket`.execute(tx);
    const merged = new Map<PhaseMetric, { buckets: Map<number, number>; total: number }>(
      PHASE_METRICS.map((m) => [m, { buckets: new Map(), total: 0 }]),
    );
    for (const row of rows) {
      const into = merged.get(row.metric);
      if (!into) continue;
      into.total += Number(row.total);
      row.buckets.forEach((bucket, i) => into.buckets.set(bucket, (into.buckets.get(bucket) ?? 0) + Number(row.counts[i] ?? 0)));
    }
    for (const metric of PHASE_METRICS) {
      const m = merged.get(metric) ?? { buckets: new Map<number, number>(), total: 0 };
      const buckets = [...m.buckets].map(([bucket, n]) => ({ bucket, n }));
      const n = buckets.reduce((sum, b) => sum + b.n, 0);
      const total = m.total;
      stats[metric] = statsOf({
        n,
        mean: n > 0 ? total / n : null,
        p50: histogramPercentile(buckets, 0.5),
        p90: histogramPercentile(buckets, 0.9),
      });
    }
  }
  const exactUpTo = options.exactPercentilesUpTo ?? 20_000;
  for (const [key, expression] of Object.entries(phases)) {
    if (whole && (stats[key]?.count ?? 0) > exactUpTo) continue;
    const { rows } = await sql<{ n: number; mean: number | null; p: number[] | null }>`
      select count(v)::int as n, avg(v) as mean, percentile_cont(array[0.5, 0.9]) within group (order by v) as p
      from (
        select date_part('epoch', ${expression}) as v
        from ${d} d
        where ${scope} and dispatched_at >= ${f}::timestamptz and dispatched_at < ${t}::timestamptz
      ) x`.execute(tx);
    const row = rows[0];
    stats[key] = statsOf({ n: row?.n ?? 0, mean: row?.mean ?? null, p50: row?.p?.[0] ?? null, p90: row?.p?.[1] ?? null });
  }
  const pick = (key: keyof typeof phases): DurationStats => stats[key] ?? { count: 0, mean: null, p50: null, p90: null };

  // Utilisation: busy = reserved time (dispatched → finished, or now while active) inside the range;
  // available = the time the resource existed inside the range (from its creation, or its first
  // dispatch if earlier — imported history). Duty and maintenance history are not recorded, so
  // off-duty and maintenance time count as available.
  const utilisation = async (resource: 'equipment' | 'driver') => {
    const table = resource === 'equipment' ? sql`equipment` : sql`drivers`;
    const key = resource === 'equipment' ? sql`equipment_id` : sql`driver_id`;
    const typeFilter =
      resource === 'equipment' && input.equipmentTypeId ? sql`and r.equipment_type_id = ${input.equipmentTypeId}::uuid` : sql``;
    // With the roll-up: whole days' busy seconds per resource from it; the partial days at the edges
    // from the finished spans reaching into them (a span starts at most max_span_seconds before it
    // ends); open and cancelled dispatches raw over the whole range.
    const rolled = whole
      ? sql`
        parts as (
          select resource_id as id, busy, first_dispatched from analytics_rollup_resource
          where kind = ${resource} and ${periods} ${resource === 'equipment' ? typeOnly : resourceType}
          union all
          select ${key}, date_part('epoch', least(finished_at, ${w0}) - greatest(dispatched_at, ${f}::timestamptz)), dispatched_at from status_reports
          where dispatched_at < ${w0} and dispatched_at >= ${f}::timestamptz - ${maxSpan}::float8 * interval '1 second' and finished_at > ${f}::timestamptz ${typeOnly}
          union all
          select ${key}, date_part('epoch', least(finished_at, ${t}::timestamptz) - greatest(dispatched_at, ${w1})), dispatched_at from status_reports
          where dispatched_at < ${t}::timestamptz and dispatched_at >= ${w1} - ${maxSpan}::float8 * interval '1 second'
            and (finished_at > ${w1} or dispatched_at >= ${w1}) ${typeOnly}
          union all
          select ${key}, date_part('epoch', least(coalesce(finished_at, now()), ${t}::timestamptz) - greatest(dispatched_at, ${f}::timestamptz)), dispatched_at
          from ${open} o where dispatched_at < ${t}::timestamptz and (finished_at > ${f}::timestamptz or finished_at is null) ${typeOnly}
        ),
        busy as (select id, sum(busy) as busy, min(first_dispatched) as first_dispatched from parts where id is not null group by id)`
      : sql`
        spans as (
        select ${key} as id, dispatched_at, finished_at from ${d} d
        where ${resourceScope} and dispatched_at < ${t}::timestamptz and finished_at > ${f}::timestamptz
        union all
        select ${key}, dispatched_at, finished_at from ${d} d
        where ${resourceScope} and dispatched_at < ${t}::timestamptz and finished_at is null
      ),
      busy as (
        select id,
               sum(date_part('epoch', least(coalesce(finished_at, now()), ${t}::timestamptz) - greatest(dispatched_at, ${f}::timestamptz))) as busy,
               min(dispatched_at) as first_dispatched
        from spans
        group by 1
      )`;
    const { rows } = await sql<{ id: string; name: string; busy: number; available: number }>`
      with ${rolled}
      select r.id, r.name, coalesce(b.busy, 0)::float8 as busy,
             greatest(date_part('epoch', ${t}::timestamptz - greatest(${f}::timestamptz, least(r.created_at, coalesce(b.first_dispatched, r.created_at)))), 0) as available
      from ${table} r left join busy b on b.id = r.id
      where r.created_at < ${t}::timestamptz ${typeFilter} and ${regionVisibleSql(caller, 'r.region')}
      order by busy desc, r.name, r.id`.execute(tx);
    const items = rows.map((r) => ({
      id: r.id,
      name: r.name,
      busySeconds: Math.round(Number(r.busy)),
      availableSeconds: Math.round(Number(r.available)),
      utilisation: Number(r.available) > 0 ? Math.round((Number(r.busy) / Number(r.available)) * 10000) / 10000 : null,
    }));
    const busy = items.reduce((s, i) => s + i.busySeconds, 0);
    const available = items.reduce((s, i) => s + i.availableSeconds, 0);
    return { overall: available > 0 ? Math.round((busy / available) * 10000) / 10000 : null, items };
  };
  const equipment = await utilisation('equipment');
  const drivers = await utilisation('driver');

  const sites = await sql<{ site_id: string; name: string; dispatches: number }>`
    with top as (
      select site_id, sum(n)::int as dispatches
      from ${
        whole
          ? sql`(
        select resource_id as site_id, created as n from analytics_rollup_resource where kind = 'site' and ${periods} ${resourceType}
        union all
        select site_id, 1 from status_reports where ${edge(sql`created_at`)} ${typeOnly}
        union all
        select site_id, 1 from ${open} o where created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz ${typeOnly})`
          : sql`(select site_id, 1 as n from ${d} d where ${scope} and created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz)`
      } x
      group by site_id order by dispatches desc, site_id limit 10
    )
    select top.site_id, coalesce(s.name, top.site_id::text) as name, top.dispatches
    from top left join sites s on s.id = top.site_id
    order by top.dispatches desc, name`.execute(tx);

  // Queue depth: +1 when a dispatch enters the queue, -1 when it leaves. The depth at an hour's start
  // is the baseline at the first bucket plus every event up to that instant; the hour's mean is the
  // depth before it plus each event's delta weighted by the rest of the hour after it — one hash
  // aggregate per bucket, no sort of the events. Buckets step by real hours from a local hour
  // boundary, so they stay on local hour boundaries across DST changes.
  const hourly = () =>
    sql<{ local: string; offset_s: number; depth: number; mean: number }>`
    with b0 as (
      select (date_trunc('hour', ${f}::timestamptz at time zone ${tz}) at time zone ${tz}) as start
    ),
    buckets as (
      select n, (select start from b0) + n * interval '1 hour' as bucket_start
      from generate_series(0, ceil(date_part('epoch', ${t}::timestamptz - (select start from b0)) / 3600)::int - 1) as n
    ),
    q as (
      select queued_at, left_queue_at from ${d} d
      where ${scope} and queued_at < ${t}::timestamptz and left_queue_at > (select start from b0)
      union all
      select queued_at, left_queue_at from ${d} d
      where ${scope} and queued_at < ${t}::timestamptz and left_queue_at is null
    ),
    baseline as (select count(*)::int as c from q where queued_at < (select start from b0)),
    events as (
      select date_part('epoch', queued_at - (select start from b0)) as s, 1 as delta from q where queued_at >= (select start from b0)
      union all
      select date_part('epoch', left_queue_at - (select start from b0)), -1 from q where left_queue_at is not null and left_queue_at < ${t}::timestamptz
    ),
    per as (
      select floor(s / 3600)::int as n,
             sum(delta) as total,
             sum(delta) filter (where s = floor(s / 3600) * 3600) as at_start,
             sum(delta * ((floor(s / 3600) + 1) * 3600 - s)) / 3600.0 as weighted
      from events group by 1
    ),
    shaped as (
      select bk.n, bk.bucket_start,
             (select c from baseline) + coalesce(sum(p.total) over (order by bk.n rows between unbounded preceding and 1 preceding), 0) as before,
             coalesce(p.at_start, 0) as at_start,
             coalesce(p.weighted, 0) as weighted
      from buckets bk left join per p on p.n = bk.n
    )
    select to_char(bucket_start at time zone ${tz}, 'YYYY-MM-DD"T"HH24:MI:SS') as local,
           date_part('epoch', (bucket_start at time zone ${tz}) - (bucket_start at time zone 'UTC'))::int as offset_s,
           (before + at_start)::int as depth,
           round((before + weighted)::numeric, 4)::float8 as mean
    from shaped
    order by n`.execute(tx);

  // Daily: the depth at each local midnight and the mean over the local day (23, 24 or 25 hours).
  // Finished dispatches' queue spans come from the roll-up (its `queue` rows, per day) when it is
  // usable; open and cancelled ones, or everything without it, from the rows.
  const daily = () =>
    sql<{ local: string; offset_s: number; depth: number; mean: number }>`
    with days as (
      select x::date as d, (x::date::timestamp at time zone ${tz}) as ds, ((x::date + 1)::timestamp at time zone ${tz}) as de
      from generate_series(${days.fromDay}::date, ${days.lastDay}::date, interval '1 day') x
    ),
    o as (
      select queued_at, left_queue_at from ${rollupUsable ? open : d} s
      where ${scope} and queued_at is not null
        and queued_at < (select max(de) from days) and (left_queue_at is null or left_queue_at > (select min(ds) from days))
    ),
    -- Each span visits only the days it overlaps (no range join of every span with every day).
    per as (
      select g.d,
             case when o.queued_at <= g.ds and (o.left_queue_at is null or o.left_queue_at > g.ds) then 1 else 0 end as at_start,
             date_part('epoch', least(coalesce(o.left_queue_at, g.de), g.de) - greatest(o.queued_at, g.ds)) as secs
      from o cross join lateral (
        select x::date as d, (x::date::timestamp at time zone ${tz}) as ds, ((x::date + 1)::timestamp at time zone ${tz}) as de
        from generate_series(greatest((o.queued_at at time zone ${tz})::date, ${days.fromDay}::date),
                             least(coalesce((o.left_queue_at at time zone ${tz})::date, ${days.lastDay}::date), ${days.lastDay}::date),
                             interval '1 day') x
      ) g
      where g.de > o.queued_at and (o.left_queue_at is null or o.left_queue_at > g.ds)
    ),
    raw as (select d, sum(at_start) as at_start, sum(secs) as secs from per group by d),
    ru as (
      select period as d, sum(n) as at_start, sum(total) as secs from analytics_rollup
      where ${rollupUsable ? sql`true` : sql`false`} and grain = 'day' and metric = 'queue'
        and period >= ${days.fromDay}::date and period <= ${days.lastDay}::date ${typeOnly}
      group by period
    )
    select to_char(days.ds at time zone ${tz}, 'YYYY-MM-DD"T"HH24:MI:SS') as local,
           date_part('epoch', (days.ds at time zone ${tz}) - (days.ds at time zone 'UTC'))::int as offset_s,
           (coalesce(raw.at_start, 0) + coalesce(ru.at_start, 0))::int as depth,
           round(((coalesce(raw.secs, 0) + coalesce(ru.secs, 0)) / date_part('epoch', days.de - days.ds))::numeric, 4)::float8 as mean
    from days left join raw on raw.d = days.d left join ru on ru.d = days.d
    order by days.d`.execute(tx);
  const depth = resolution === 'hour' ? await hourly() : await daily();

  // Requests per local hour of day. Counted per 15-minute slot first (every zone's offset is a
  // multiple of 15 minutes), so the zone conversion runs once per slot, not once per row.
  const peak = whole
    ? await sql<{ hour: number; requests: number }>`
    select bucket as hour, sum(n)::int as requests from (
      select bucket, n from analytics_rollup where ${periods} and metric = 'created' ${typeOnly}
      union all
      select extract(hour from created_at at time zone ${tz})::int, 1 from status_reports where ${edge(sql`created_at`)} ${typeOnly}
      union all
      select extract(hour from created_at at time zone ${tz})::int, 1 from ${open} o
      where created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz ${typeOnly}
    ) x group by 1 having sum(n) > 0 order by requests desc, hour`.execute(tx)
    : await sql<{ hour: number; requests: number }>`
    with slots as (
      select floor(date_part('epoch', created_at) / 900)::bigint as slot, count(*) as n
      from ${d} d
      where ${scope} and created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz
      group by 1
    )
    select extract(hour from to_timestamp(slot * 900) at time zone ${tz})::int as hour, sum(n)::int as requests
    from slots
    group by 1 order by requests desc, hour`.execute(tx);

  const c = counts;
  const finished = c.completed + c.recalled + c.cancelled;
  return {
    range: { from: f, to: t, timeZone: tz },
    source,
    counts: c,
    fulfilmentRate: finished > 0 ? Math.round((c.completed / finished) * 10000) / 10000 : null,
    queueWait: pick('wait'),
    timeToDispatch: pick('td'),
    timeToSite: pick('ts'),
    onSite: pick('os'),
    utilisation: { equipment, drivers },
    busiestSites: sites.rows.map((s) => ({ siteId: s.site_id, name: s.name, dispatches: s.dispatches })),
    queueDepth: depth.rows.map((r) => ({ hour: offsetLabel(r.local, r.offset_s), depth: r.depth, mean: Number(r.mean) })),
    peakHours: peak.rows.map((p) => ({ hourOfDay: p.hour, requests: p.requests })),
    queueDepthResolution: resolution,
  };
}

/** The analytics as one CSV table: section, key, metric, value (RFC 4180, CRLF). */
export function analyticsCsv(a: Analytics): string {
  const rows: Array<Array<string | number | null>> = [['section', 'key', 'metric', 'value']];
  rows.push(['range', '', 'from', a.range.from], ['range', '', 'to', a.range.to], ['range', '', 'timeZone', a.range.timeZone]);
  for (const [k, v] of Object.entries(a.counts)) rows.push(['counts', '', k, v]);
  rows.push(['fulfilment', '', 'rate', a.fulfilmentRate]);
  for (const key of ['queueWait', 'timeToDispatch', 'timeToSite', 'onSite'] as const) {
    for (const [m, v] of Object.entries(a[key])) rows.push(['durations_seconds', key, m, v]);
  }
  for (const kind of ['equipment', 'drivers'] as const) {
    rows.push([`utilisation_${kind}`, 'overall', 'utilisation', a.utilisation[kind].overall]);
    for (const i of a.utilisation[kind].items) {
      rows.push([`utilisation_${kind}`, `${i.name} (${i.id})`, 'busySeconds', i.busySeconds]);
      rows.push([`utilisation_${kind}`, `${i.name} (${i.id})`, 'availableSeconds', i.availableSeconds]);
      rows.push([`utilisation_${kind}`, `${i.name} (${i.id})`, 'utilisation', i.utilisation]);
    }
  }
  for (const s of a.busiestSites) rows.push(['busiest_sites', `${s.name} (${s.siteId})`, 'dispatches', s.dispatches]);
  for (const q of a.queueDepth) rows.push(['queue_depth', q.hour, 'depth', q.depth], ['queue_depth', q.hour, 'mean', q.mean]);
  for (const p of a.peakHours) rows.push(['peak_hours', String(p.hourOfDay), 'requests', p.requests]);
  return rows.map((r) => csvLine(r)).join('');
}
