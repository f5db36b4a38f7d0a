import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analytics, StatusReportSnapshot } from '@yardmaster/contracts';
import { migrations } from '../src/migrations/index.js';
import { systemCaller } from '../src/platform/caller.js';
import { provisionTenant, withTenant, type Database, tenantSchema, type TenantRecord, type TenantTx } from '../src/platform/db/index.js';
import * as compactRollup from '../src/migrations/tenant/202612010900_reporting_rollup_compact.js';
import { recordStatusReport } from '../src/modules/reporting/index.js';
import { computeAnalytics } from '../src/modules/reporting/reporting.analytics.js';
import { HISTOGRAM_ALPHA, rebuildRollup } from '../src/modules/reporting/reporting.rollup.js';
import { openTestDatabase, testDbKind, uniqueSlug } from './support/db.js';
import { seededRandom } from './support/random.js';

const seed = Number(process.env.DISPATCH_SEED ?? Math.floor(Math.random() * 2 ** 31));
// Zones with DST at different hours, a half-hour offset, and a half-hour DST shift.
const ZONES = ['Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
const REPORTS = 80;

/** Every roll-up row, in a stable order, floats rounded (sums may add in another order). */
const snapshotRollups = async (tx: TenantTx) => ({
  rollup: (
    await sql<Record<string, unknown>>`
    select grain, period::text, equipment_type_id, metric, bucket, n::int, round(total::numeric, 3)::text as total
    from analytics_rollup order by 1, 2, 3, 4, 5`.execute(tx)
  ).rows,
  histogram: (
    await sql<Record<string, unknown>>`
    select grain, period::text, equipment_type_id, metric, n::int, round(total::numeric, 3)::text as total, buckets, counts::int[] as counts
    from analytics_histogram order by 1, 2, 3, 4`.execute(tx)
  ).rows,
  resource: (
    await sql<Record<string, unknown>>`
    select grain, kind, period::text, equipment_type_id, resource_id, created::int, round(busy::numeric, 3)::text as busy, first_dispatched::text
    from analytics_rollup_resource order by 1, 2, 3, 4, 5`.execute(tx)
  ).rows,
  maxSpan: (await sql<{ m: number }>`select max_span_seconds as m from analytics_rollup_state`.execute(tx)).rows[0]?.m,
});

type World = { tenant: TenantRecord; types: string[] };

async function world(database: Database, timeZone: string, random: () => number): Promise<World> {
  const tenant = await provisionTenant(database.db, { slug: uniqueSlug('ru'), name: 'Roll-up Co', timeZone }, migrations.tenant);
  return withTenant(database.db, tenant.slug, async (tx) => {
    const id = async (q: ReturnType<typeof sql<{ id: string }>>): Promise<string> => (await q.execute(tx)).rows[0]?.id ?? '';
    const types = [
      await id(
        sql<{ id: string }>`insert into equipment_types (code, name, created_at) values ('A', 'Type A', '2026-01-01Z') returning id`,
      ),
      await id(
        sql<{ id: string }>`insert into equipment_types (code, name, created_at) values ('B', 'Type B', '2026-01-01Z') returning id`,
      ),
    ];
    // Several machines per type, drivers and sites, so utilisation and busiest sites have rows to rank.
    const equipment: string[][] = [[], []];
    for (let e = 0; e < 6; e++) {
      const k = e % 2;
      equipment[k]?.push(
        await id(sql<{ id: string }>`
        insert into equipment (asset_tag, name, equipment_type_id, created_at) values (${`E-${e}`}, ${`Machine ${e}`}, ${types[k]}, ${e === 5 ? '2026-06-01Z' : '2026-01-01Z'}) returning id`),
      );
    }
    const drivers: string[] = [];
    for (let e = 0; e < 3; e++)
      drivers.push(
        await id(sql<{ id: string }>`insert into drivers (name, created_at) values (${`Driver ${e}`}, '2026-01-01Z') returning id`),
      );
    const sites: string[] = [];
    for (let e = 0; e < 12; e++)
      sites.push(
        await id(
          sql<{ id: string }>`insert into sites (name, address, created_at) values (${`Yard ${e}`}, '1 St', '2026-01-01Z') returning id`,
        ),
      );
    const start = Date.parse('2026-03-01T00:00:00Z');
    const span = Date.parse('2026-11-30T00:00:00Z') - start;
    // Durations log-uniform from 1 s to ~2 days, some zero, some missing.
    const duration = (): number => (random() < 0.08 ? 0 : Math.round(Math.exp(random() * Math.log(172_800)) * 1000));
    for (let i = 0; i < REPORTS; i++) {
      const k = i % 2;
      // A quarter of the requests cluster on the DST days of the northern and southern zones.
      const dst = [
        '2026-03-08T05:00:00Z',
        '2026-03-29T00:30:00Z',
        '2026-04-04T14:00:00Z',
        '2026-10-04T15:00:00Z',
        '2026-10-25T00:30:00Z',
        '2026-11-01T05:30:00Z',
      ];
      const created =
        random() < 0.25
          ? Date.parse(dst[Math.floor(random() * dst.length)] ?? '') + Math.floor(random() * 4 * 3_600_000)
          : start + Math.floor(random() * span);
      const queued = random() < 0.15 ? null : created;
      const dispatched = created + duration();
      const onSite = random() < 0.2 ? null : dispatched + duration();
      const returning = onSite === null || random() < 0.3 ? null : onSite + duration();
      const finished = (returning ?? onSite ?? dispatched) + duration();
      const recalled = random() < 0.2;
      const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
      const snapshot: StatusReportSnapshot = {
        dispatchId: randomUUID(),
        workOrder: { id: randomUUID(), number: `WO-${i}`, description: null },
        site: { id: sites[Math.floor(random() * sites.length)] ?? '', name: 'Yard', address: null },
        equipment: {
          id: equipment[k]?.[Math.floor(random() * 3)] ?? '',
          assetTag: 'E',
          name: 'E',
          typeId: types[k] ?? '',
          typeCode: 'T',
          typeName: 'T',
        },
        driver: { id: drivers[Math.floor(random() * drivers.length)] ?? '', name: 'Driver' },
        dispatcher: { kind: 'system', subject: 'system', name: 'system' },
        priority: 'standard',
        finalStatus: recalled ? 'recalled' : 'completed',
        timestamps: {
          createdAt: iso(created),
          queuedAt: iso(queued),
          dispatchedAt: iso(dispatched),
          onSiteAt: iso(onSite),
          returningAt: iso(returning),
          completedAt: recalled ? null : iso(finished),
          recalledAt: recalled ? iso(finished) : null,
        } as StatusReportSnapshot['timestamps'],
      };
      await recordStatusReport(tx, systemCaller(tenant.slug), snapshot);
    }
    return { tenant, types };
  });
}

const RANGES: Array<[string, string]> = [
  ['2026-03-01T00:00:00Z', '2026-12-01T00:00:00Z'], // everything; months and days
  ['2026-03-07T13:17:00Z', '2026-11-02T06:41:00Z'], // partial edge days, every DST change inside
  ['2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z'], // around the European spring-forward
  ['2026-10-24T21:10:00Z', '2026-10-26T03:00:00Z'], // around the European fall-back, odd edges
  ['2026-10-31T12:00:00Z', '2026-11-03T12:00:00Z'], // the American fall-back
  ['2026-04-04T10:00:00Z', '2026-04-06T10:00:00Z'], // Lord Howe's half-hour fall-back
  ['2026-06-10T10:00:00Z', '2026-06-10T20:00:00Z'], // no whole day at all
];

describe(`analytics roll-up equals the raw computation on ${testDbKind()}`, () => {
  let database: Database;
  const worlds: World[] = [];

  beforeAll(async () => {
    console.log(`report-rollup seed: ${seed} (replay with DISPATCH_SEED=${seed})`);
    database = await openTestDatabase();
    const random = seededRandom(seed);
    for (const zone of ZONES) worlds.push(await world(database, zone, random));
  }, 300_000);
  afterAll(async () => {
    await database?.close();
  });

  it('gives the same counts, means, hours and queue depth, and percentiles within the stated error', { timeout: 300_000 }, async () => {
    for (const w of worlds) {
      await withTenant(database.db, w.tenant.slug, async (tx) => {
        const caller = systemCaller(w.tenant.slug);
        for (const [from, to] of RANGES) {
          for (const equipmentTypeId of [undefined, w.types[1]]) {
            const resolutions: Array<'day' | 'hour'> = Date.parse(to) - Date.parse(from) <= 31 * 86_400_000 ? ['day', 'hour'] : ['day'];
            for (const queueDepthResolution of resolutions) {
              const input = {
                from,
                to,
                timeZone: w.tenant.time_zone,
                queueDepthResolution,
                ...(equipmentTypeId ? { equipmentTypeId } : {}),
              };
              const where = `${w.tenant.time_zone} ${from} … ${to} type=${equipmentTypeId ?? 'all'} ${queueDepthResolution} (seed ${seed})`;
              const rolled: Analytics = await computeAnalytics(tx, caller, input, { exactPercentilesUpTo: 0 });
              const raw: Analytics = await computeAnalytics(tx, caller, input, { rollup: false });
              expect(raw.source, where).not.toContain('analytics_rollup');
              // Long ranges are served from the roll-up; a range without a whole local day from the rows.
              if (Date.parse(to) - Date.parse(from) > 31 * 86_400_000) expect(rolled.source, where).toContain('analytics_rollup');
              if (from.startsWith('2026-06-10')) expect(rolled.source, where).not.toContain('analytics_rollup');
              expect(rolled.counts, where).toEqual(raw.counts);
              expect(rolled.fulfilmentRate, where).toBe(raw.fulfilmentRate);
              expect(rolled.peakHours, where).toEqual(raw.peakHours);
              expect(rolled.busiestSites, where).toEqual(raw.busiestSites);
              expectSameUtilisation(rolled.utilisation, raw.utilisation, where);
              if (from === RANGES[0]?.[0]) {
                // The world has something to rank: busy machines and drivers, requests at several sites.
                expect(rolled.utilisation.equipment.items.filter((i) => i.busySeconds > 0).length, where).toBeGreaterThan(1);
                expect(rolled.utilisation.drivers.items.filter((i) => i.busySeconds > 0).length, where).toBeGreaterThan(1);
                expect(rolled.busiestSites.length, where).toBeGreaterThan(3);
              }
              expect(rolled.queueDepthResolution).toBe(queueDepthResolution);
              expect(
                rolled.queueDepth.map((q) => [q.hour, q.depth]),
                where,
              ).toEqual(raw.queueDepth.map((q) => [q.hour, q.depth]));
              rolled.queueDepth.forEach((q, i) =>
                expect(Math.abs(q.mean - (raw.queueDepth[i]?.mean ?? NaN)), `${where} ${q.hour}`).toBeLessThanOrEqual(0.0002),
              );

              const phases = {
                queueWait: sql`dispatched_at - coalesce(queued_at, created_at)`,
                timeToDispatch: sql`dispatched_at - created_at`,
                timeToSite: sql`on_site_at - dispatched_at`,
                onSite: sql`coalesce(returning_at, finished_at) - on_site_at`,
              };
              for (const [key, expression] of Object.entries(phases) as Array<
                [keyof typeof phases, (typeof phases)[keyof typeof phases]]
              >) {
                const r = rolled[key];
                const x = raw[key];
                expect(r.count, `${where} ${key}`).toBe(x.count);
                if (x.mean === null) expect(r.mean).toBeNull();
                else expect(Math.abs((r.mean ?? NaN) - x.mean), `${where} ${key} mean`).toBeLessThanOrEqual(0.1 + 1e-9);
                const { rows } = await sql<{ v: number }>`
                  select date_part('epoch', ${expression}) as v from status_reports
                  where dispatched_at >= ${from}::timestamptz and dispatched_at < ${to}::timestamptz
                    and ${equipmentTypeId ? sql`equipment_type_id = ${equipmentTypeId}::uuid` : sql`true`}
                    and ${expression} is not null
                  order by 1`.execute(tx);
                const values = rows.map((row) => Number(row.v));
                for (const [q, estimate] of [
                  [0.5, r.p50],
                  [0.9, r.p90],
                ] as const) {
                  if (values.length === 0) {
                    expect(estimate).toBeNull();
                    continue;
                  }
                  const rank = (values.length - 1) * q;
                  const low = values[Math.floor(rank)] ?? NaN;
                  const high = values[Math.ceil(rank)] ?? NaN;
                  const e = estimate ?? NaN;
                  expect(e, `${where} ${key} p${q * 100} in [${low}, ${high}]`).toBeGreaterThanOrEqual(low * (1 - HISTOGRAM_ALPHA) - 0.55);
                  expect(e, `${where} ${key} p${q * 100} in [${low}, ${high}]`).toBeLessThanOrEqual(high * (1 + HISTOGRAM_ALPHA) + 0.55);
                }
              }
            }
          }
        }
      });
    }
  });

  it('holds the same rows when filled report by report as when rebuilt from all reports', { timeout: 120_000 }, async () => {
    for (const w of worlds) {
      await withTenant(database.db, w.tenant.slug, async (tx) => {
        const filled = await snapshotRollups(tx);
        expect(filled.rollup.length).toBeGreaterThan(0);
        expect(filled.histogram.length).toBeGreaterThan(0);
        expect(filled.resource.length).toBeGreaterThan(0);
        const rebuilt = await rebuildRollup(tx, w.tenant.time_zone);
        expect(rebuilt.reports).toBe(REPORTS);
        expect(await snapshotRollups(tx)).toEqual(filled);
      });
    }
  });

  it(
    'converts a tenant that had the per-bucket roll-up (migration 202612010900) into the same rows as a rebuild',
    { timeout: 120_000 },
    async () => {
      for (const w of worlds) {
        // As the migrator runs it: the schema owner, with the tenant's schema on the search path.
        await database.db.transaction().execute(async (owner) => {
          await sql`select set_config('search_path', ${tenantSchema(w.tenant.slug)}, true)`.execute(owner);
          const tx = owner as unknown as TenantTx;
          await rebuildRollup(tx, w.tenant.time_zone);
          const expected = await snapshotRollups(tx);
          // Back to the shape of 202612010800: histograms as one row per bucket, no resource roll-up.
          await sql`
          insert into analytics_rollup (grain, period, equipment_type_id, metric, bucket, n, total)
          select h.grain, h.period, h.equipment_type_id, h.metric, u.b, u.c, case when u.i = 1 then h.total else 0 end
          from analytics_histogram h cross join lateral unnest(h.buckets, h.counts) with ordinality u(b, c, i)`.execute(tx);
          await sql`drop table analytics_histogram`.execute(tx);
          await sql`drop table analytics_rollup_resource`.execute(tx);
          await sql`alter table analytics_rollup_state drop column max_span_seconds`.execute(tx);
          await compactRollup.up(owner);
          expect(await snapshotRollups(tx)).toEqual(expected);
        });
      }
    },
  );
});

/**
 * Utilisation from the roll-up equals the raw computation up to rounding: busy seconds are float
 * sums taken in another order (whole days from the roll-up, edge days raw), so a sum that lands on
 * .5 may round either way — at most 1 s apart, and the ratios within that second.
 */
function expectSameUtilisation(rolled: Analytics['utilisation'], raw: Analytics['utilisation'], where: string): void {
  for (const kind of ['equipment', 'drivers'] as const) {
    const a = rolled[kind];
    const b = raw[kind];
    expect(
      a.items.map((i) => [i.id, i.name, i.availableSeconds]),
      `${where} ${kind}`,
    ).toEqual(b.items.map((i) => [i.id, i.name, i.availableSeconds]));
    a.items.forEach((item, n) => {
      const other = b.items[n];
      expect(Math.abs(item.busySeconds - (other?.busySeconds ?? NaN)), `${where} ${kind} ${item.name} busy`).toBeLessThanOrEqual(1);
      const slack = item.availableSeconds > 0 ? 1 / item.availableSeconds + 0.0001 : 0;
      if (item.utilisation === null || other?.utilisation === null) expect(item.utilisation, where).toBe(other?.utilisation);
      else
        expect(Math.abs(item.utilisation - (other?.utilisation ?? NaN)), `${where} ${kind} ${item.name} ratio`).toBeLessThanOrEqual(slack);
    });
    if (a.overall === null || b.overall === null) expect(a.overall, where).toBe(b.overall);
    else expect(Math.abs(a.overall - b.overall), `${where} ${kind} overall`).toBeLessThanOrEqual(0.0002);
  }
}
