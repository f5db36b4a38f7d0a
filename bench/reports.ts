/**
 * Reports and analytics benchmark: a scratch PostgreSQL database with one tenant holding N finished
 * dispatches over a year (status reports, work orders, lines and dispatches, plus 5% more cancelled
 * out of the queue), generated with generate_series straight into the real tables, then every
 * dashboard query of GET /api/v1/analytics timed for several ranges, plus the report list and a PDF.
 *
 *   npm run bench:reports                       # 1,000,000 dispatches
 *   node --import tsx bench/reports.ts --dispatches 100000 [--keep] [--runs 3] [--reuse <kept database>]
 *
 * PostgreSQL: BENCH_POSTGRES_URL (or TEST_POSTGRES_URL), default postgres://postgres@127.0.0.1:5432/postgres
 * (a superuser: it creates and drops the scratch database and the tenant role).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import { migrations } from '../apps/server/src/migrations/index.js';
import { systemCaller } from '../apps/server/src/platform/caller.js';
import { createPool, migrateAll, provisionTenant, withTenant, type ControlTables } from '../apps/server/src/platform/db/index.js';
import { computeAnalytics } from '../apps/server/src/modules/reporting/reporting.analytics.js';
import { readRollupState, rebuildRollup } from '../apps/server/src/modules/reporting/reporting.rollup.js';
import { renderReportPdf } from '../apps/server/src/modules/reporting/reporting.pdf.js';
import { getReport, listReports } from '../apps/server/src/modules/reporting/reporting.service.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SLUG = 'bench';
const TZ = 'Europe/London';

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

/** Which dashboard query a statement is, from its SQL. */
function labelOf(sqlText: string): string | null {
  if (sqlText.includes('analytics_histogram')) return 'durations: 4 histograms (roll-up + edges)';
  if (sqlText.includes('analytics_rollup_resource')) {
    if (sqlText.includes('from equipment r')) return 'equipment utilisation (roll-up + edges)';
    if (sqlText.includes('from drivers r')) return 'driver utilisation (roll-up + edges)';
    return 'busiest sites (roll-up + edges)';
  }
  if (sqlText.includes('analytics_rollup')) {
    if (sqlText.includes("metric = 'queue'")) return 'queue depth (daily; roll-up + open rows)';
    if (sqlText.includes("metric in ('created', 'completed', 'recalled')")) return 'counts (roll-up + edges)';
    if (sqlText.includes("metric in ('wait'")) return 'durations: 4 histograms (roll-up + edges)';
    if (sqlText.includes("metric = 'created'")) return 'peak demand hours (roll-up + edges)';
  }
  if (sqlText.includes('as cancelled')) return 'counts + fulfilment';
  if (sqlText.includes('percentile_cont')) {
    if (sqlText.includes('dispatched_at - queued_at')) return 'queue wait mean/p50/p90';
    if (sqlText.includes('dispatched_at - created_at')) return 'time to dispatch mean/p50/p90';
    if (sqlText.includes('on_site_at - dispatched_at')) return 'time to site mean/p50/p90';
    return 'on-site duration mean/p50/p90';
  }
  if (sqlText.includes('from equipment r')) return 'equipment utilisation';
  if (sqlText.includes('from drivers r')) return 'driver utilisation';
  if (sqlText.includes('left join sites')) return 'busiest sites';
  if (sqlText.includes('generate_series')) return 'queue depth (hourly)';
  if (sqlText.includes('as requests')) return 'peak demand hours';
  if (sqlText.includes('from "status_reports" as "r"')) return 'report list page';
  return null;
}

/** Fills tenant `bench` of the database at `url` with `n` finished dispatches (also used by bench/flood.ts). */
export async function generate(url: string, n: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const run = (text: string) => client.query(text);
  await run(`set search_path = t_${SLUG}`);
  await run(`insert into equipment_types (code, name) select 'T' || g, 'Type ' || g from generate_series(1, 5) g`);
  await run(`insert into equipment (asset_tag, name, equipment_type_id, created_at)
    select 'E-' || g, 'Crane ' || g, (select id from equipment_types order by code offset (g % 5) limit 1), '2025-01-01Z' from generate_series(1, 1000) g`);
  await run(`insert into drivers (name, created_at) select 'Driver ' || g, '2025-01-01Z' from generate_series(1, 1000) g`);
  await run(
    `insert into sites (name, address, created_at) select 'Site ' || g, g || ' Yard Road', '2025-01-01Z' from generate_series(1, 500) g`,
  );
  await run(
    `create temporary table eq as select row_number() over (order by asset_tag) as k, id, equipment_type_id, name, asset_tag from equipment`,
  );
  await run(`create temporary table dr as select row_number() over (order by name) as k, id, name from drivers`);
  await run(`create temporary table st as select row_number() over (order by name) as k, id, name, address from sites`);
  await run(`alter table status_reports disable trigger user`);
  const batch = 200_000;
  for (let start = 1; start <= n; start += batch) {
    const end = Math.min(n, start + batch - 1);
    await run(`
      insert into status_reports (
        dispatch_id, final_status, priority, work_order_id, work_order_number, work_order_description,
        site_id, site_name, site_address, equipment_id, equipment_asset_tag, equipment_name,
        equipment_type_id, equipment_type_code, equipment_type_name, driver_id, driver_name,
        dispatcher_kind, dispatcher_subject, dispatcher_name, requested_at, created_at, queued_at,
        dispatched_at, en_route_at, on_site_at, returning_at, completed_at, recalled_at, finished_at,
        notes, recall_reason, content_hash)
      select gen_random_uuid(), case when recalled then 'recalled' else 'completed' end,
             (array['urgent','standard','low'])[1 + g % 3], gen_random_uuid(), 'WO-' || g, 'Bench work order ' || g,
             st.id, st.name, st.address, eq.id, eq.asset_tag, eq.name, eq.equipment_type_id, 'T', 'Type',
             dr.id, dr.name, 'system', 'system', 'system', created, created, created,
             dispatched, dispatched + interval '5 min', case when recalled then null else on_site end,
             case when recalled then null else ret end,
             case when recalled then null else ret + interval '30 min' end,
             case when recalled then dispatched + interval '20 min' else null end,
             case when recalled then dispatched + interval '20 min' else ret + interval '30 min' end,
             null, case when recalled then 'bench recall' else null end,
             encode(sha256(('bench' || g)::bytea), 'hex')
      from (
        select g, created, recalled,
               created + (random() ^ 2) * interval '2 hours' as dispatched,
               created + (random() ^ 2) * interval '2 hours' + interval '25 min' + random() * interval '40 min' as on_site,
               created + interval '3 hours' + random() * interval '5 hours' as ret
        from (
          select g, timestamptz '2025-11-25 00:00Z' + random() * interval '365 days' as created, random() < 0.05 as recalled
          from generate_series(${start}::bigint, ${end}) g
        ) base
      ) x
      join eq on eq.k = 1 + (g * 7919) % 1000
      join dr on dr.k = 1 + (g * 104729) % 1000
      join st on st.k = 1 + ((g * 31) % 997) % 500`);
    process.stdout.write(`  generated ${end.toLocaleString('en')} / ${n.toLocaleString('en')}\n`);
  }
  await run(`alter table status_reports enable trigger user`);
  // The same dispatches in the dispatch module's tables (one work order and line each), plus 5%
  // more that were cancelled out of the queue and a few still queued.
  await run(`insert into work_orders (id, number, site_id, description, priority, requested_start, status, created_by_subject, created_by_name, created_at)
    select work_order_id, work_order_number, site_id, work_order_description, priority, created_at, 'completed', 'system', 'system', created_at from status_reports`);
  await run(`insert into work_order_lines (id, work_order_id, line_no, equipment_type_id, quantity)
    select work_order_id, work_order_id, 1, equipment_type_id, 1 from status_reports`);
  await run(`insert into dispatches (id, work_order_id, line_id, equipment_type_id, site_id, priority, status, requested_start, created_at, queued_at, queue_seq,
      equipment_id, driver_id, assigned_by_kind, assigned_by_subject, assigned_by_name, dispatched_at, en_route_at, on_site_at, returning_at, completed_at, recalled_at, recall_reason)
    select dispatch_id, work_order_id, work_order_id, equipment_type_id, site_id, priority, final_status, created_at, created_at, queued_at, number,
      equipment_id, driver_id, 'system', 'system', 'system', dispatched_at, en_route_at, on_site_at, returning_at, completed_at, recalled_at, recall_reason
    from status_reports`);
  const extra = Math.round(n * 0.05);
  await run(`insert into work_orders (number, site_id, description, priority, requested_start, status, created_by_subject, created_by_name, created_at)
    select 'WO-C-' || g, st.id, 'Cancelled bench work order', 'low', created, case when g % 1000 = 0 then 'pending' else 'cancelled' end, 'system', 'system', created
    from (select g, timestamptz '2025-11-25 00:00Z' + random() * interval '365 days' as created from generate_series(1::bigint, ${extra}) g) x
    join st on st.k = 1 + (g % 500)`);
  await run(`insert into work_order_lines (work_order_id, line_no, equipment_type_id, quantity)
    select id, 1, (select id from equipment_types order by code limit 1), 1 from work_orders where number like 'WO-C-%'`);
  await run(`insert into dispatches (work_order_id, line_id, equipment_type_id, site_id, priority, status, requested_start, created_at, queued_at, queue_seq, cancelled_at, cancel_reason)
    select w.id, l.id, l.equipment_type_id, w.site_id, 'low', case when w.status = 'pending' then 'queued' else 'cancelled' end, w.created_at, w.created_at, w.created_at,
           nextval('dispatch_queue_seq'), case when w.status = 'pending' then null else w.created_at + random() * interval '2 hours' end, 'bench'
    from work_orders w join work_order_lines l on l.work_order_id = w.id where w.number like 'WO-C-%'`);
  await run(`vacuum analyze status_reports`);
  await run(`vacuum analyze dispatches`);
  await run(`analyze`);
  await client.end();
}

async function main(argv: string[]): Promise<void> {
  const dispatches = arg(argv, '--dispatches', 1_000_000);
  const runs = arg(argv, '--runs', 3);
  const keep = argv.includes('--keep');
  const reuseAt = argv.indexOf('--reuse');
  const reuse = reuseAt >= 0 ? argv[reuseAt + 1] : undefined;
  const name = reuse ?? `ym_bench_reports_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  if (!reuse) await admin.query(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const timings: Array<{ label: string; ms: number }> = [];
  let capture = false;
  const db = new Kysely<ControlTables>({
    dialect: new PostgresDialect({ pool: createPool(url, 2) }),
    log(event: LogEvent) {
      if (!capture || event.level !== 'query') return;
      const label = labelOf(event.query.sql);
      if (label) timings.push({ label, ms: event.queryDurationMillis });
    },
  });
  try {
    const server = await admin.query<{ v: string }>('select version() as v');
    process.stdout.write(`${server.rows[0]?.v}\n`);
    const migrating = performance.now();
    const migrated = await migrateAll(db, migrations);
    process.stdout.write(`migrations: ${JSON.stringify(migrated)} in ${((performance.now() - migrating) / 1000).toFixed(1)} s\n`);
    if (!reuse) {
      await provisionTenant(db, { slug: SLUG, name: 'Bench', timeZone: TZ }, migrations.tenant);
      const started = performance.now();
      await generate(url, dispatches);
      process.stdout.write(
        `generated ${dispatches.toLocaleString('en')} finished dispatches in ${((performance.now() - started) / 1000).toFixed(1)} s\n\n`,
      );
    }

    // The generator writes the tables directly: fill the roll-up as `cli analytics rebuild` does.
    if (!reuse || !(await withTenant(db, SLUG, (tx) => readRollupState(tx))).built || argv.includes('--rebuild')) {
      const started = performance.now();
      const built = await withTenant(db, SLUG, (tx) => rebuildRollup(tx, TZ));
      for (const table of ['analytics_rollup', 'analytics_histogram', 'analytics_rollup_resource'])
        await sql`vacuum analyze ${sql.id(`t_${SLUG}`, table)}`.execute(db);
      process.stdout.write(
        `roll-up rebuilt from ${built.reports.toLocaleString('en')} reports: ${built.rows.toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s\n\n`,
      );
    }
    // Fresh planner statistics for the roll-up tables (a migration may just have filled them).
    for (const table of ['analytics_rollup', 'analytics_histogram', 'analytics_rollup_resource'])
      await sql`analyze ${sql.id(`t_${SLUG}`, table)}`.execute(db);
    const caller = { ...systemCaller(SLUG), kind: 'user' as const, subject: 'bench', roles: ['admin'] };
    const siteId = (await sql<{ id: string }>`select id from ${sql.id(`t_${SLUG}`, 'sites')} order by name limit 1`.execute(db)).rows[0]!
      .id;
    const scenarios: Array<{ title: string; from: string; to: string; siteId?: string }> = [
      { title: 'full year', from: '2025-11-25T00:00:00Z', to: '2026-11-25T00:00:00Z' },
      { title: 'one month', from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00+01:00' },
      { title: 'one week', from: '2026-10-19T00:00:00+01:00', to: '2026-10-26T00:00:00Z' },
      { title: 'one day', from: '2026-10-25T00:00:00+01:00', to: '2026-10-26T00:00:00Z' },
      { title: 'full year, one site', from: '2025-11-25T00:00:00Z', to: '2026-11-25T00:00:00Z', siteId },
    ];
    const rows: string[] = [];
    for (const s of scenarios) {
      const best = new Map<string, number>();
      let total = Infinity;
      for (let i = 0; i < runs; i++) {
        timings.length = 0;
        capture = true;
        const t0 = performance.now();
        await withTenant(db, SLUG, (tx) => computeAnalytics(tx, caller, { from: s.from, to: s.to, siteId: s.siteId, timeZone: TZ }), {
          isolation: 'repeatable read',
        });
        total = Math.min(total, performance.now() - t0);
        capture = false;
        for (const t of timings) best.set(t.label, Math.min(best.get(t.label) ?? Infinity, t.ms));
      }
      process.stdout.write(`${s.title} (${s.from} → ${s.to}${s.siteId ? ', one site' : ''}), best of ${runs}:\n`);
      for (const [label, ms] of best) {
        process.stdout.write(`  ${label.padEnd(32)} ${ms.toFixed(0).padStart(6)} ms\n`);
        rows.push(`| ${s.title} | ${label} | ${ms.toFixed(0)} |`);
      }
      process.stdout.write(`  ${'whole request (all queries)'.padEnd(32)} ${total.toFixed(0).padStart(6)} ms\n\n`);
      rows.push(`| ${s.title} | **whole analytics request** | ${total.toFixed(0)} |`);
    }

    // Report list (first page and a page deep in the year) and one PDF.
    let listBest = Infinity;
    let filteredBest = Infinity;
    let pdfBest = Infinity;
    for (let i = 0; i < runs; i++) {
      let t0 = performance.now();
      const page = await withTenant(db, SLUG, (tx) =>
        listReports(tx, caller, { limit: 50, from: '2026-06-01T00:00:00Z', to: '2026-07-01T00:00:00Z' }),
      );
      listBest = Math.min(listBest, performance.now() - t0);
      t0 = performance.now();
      await withTenant(db, SLUG, (tx) => listReports(tx, caller, { limit: 50, siteId, status: 'recalled' }));
      filteredBest = Math.min(filteredBest, performance.now() - t0);
      t0 = performance.now();
      const report = await withTenant(db, SLUG, (tx) => getReport(tx, caller, page.items[0]!.id));
      await renderReportPdf(report, { tenantName: 'Bench', timeZone: TZ, generatedAt: new Date() });
      pdfBest = Math.min(pdfBest, performance.now() - t0);
    }
    process.stdout.write(`report list, 50 of June:            ${listBest.toFixed(0).padStart(6)} ms\n`);
    process.stdout.write(`report list, one site, recalled:    ${filteredBest.toFixed(0).padStart(6)} ms\n`);
    process.stdout.write(`one report + PDF:                   ${pdfBest.toFixed(0).padStart(6)} ms\n\n`);
    rows.push(`| — | report list page (50, one month) | ${listBest.toFixed(0)} |`);
    rows.push(`| — | report list page (one site, recalled) | ${filteredBest.toFixed(0)} |`);
    rows.push(`| — | one report read + PDF rendered | ${pdfBest.toFixed(0)} |`);
    process.stdout.write(`Markdown:\n| range | query | best ms |\n|---|---|---:|\n${rows.join('\n')}\n`);
  } catch (error) {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  } finally {
    await db.destroy();
    if (keep || reuse) process.stdout.write(`kept database ${name} (again: --reuse ${name})\n`);
    else {
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
      await admin.query(`drop database if exists ${name}`);
    }
    await admin.end();
  }
}

// Run as a script (not when bench/flood.ts imports the generator).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
