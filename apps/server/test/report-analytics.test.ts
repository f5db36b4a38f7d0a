import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analytics, Role, StatusReportSnapshot } from '@yardmaster/contracts';
import { migrations } from '../src/migrations/index.js';
import type { Caller } from '../src/platform/caller.js';
import { provisionTenant, withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { recordStatusReport } from '../src/modules/reporting/index.js';
import type { TestIdentity } from './support/identity.js';
import { createTestApp } from './support/app.js';
import { openTestDatabase, testDbKind, uniqueSlug } from './support/db.js';

const system = (tenantSlug: string): Caller => ({
  kind: 'system',
  subject: 'system',
  name: 'system',
  roles: [],
  tenantSlug,
  requestId: null,
  sourceIp: null,
  userAgent: null,
});

type World = {
  tenant: TenantRecord;
  type: { id: string };
  e1: string;
  e2: string;
  d1: string;
  d2: string;
  s1: string;
  s2: string;
};

async function world(database: Database, timeZone: string): Promise<World> {
  const tenant = await provisionTenant(database.db, { slug: uniqueSlug('ra'), name: 'Analytics Co', timeZone }, migrations.tenant);
  return withTenant(database.db, tenant.slug, async (tx) => {
    const one = async <T extends { id: string }>(q: ReturnType<typeof sql<T>>): Promise<string> => (await q.execute(tx)).rows[0]!.id;
    const type = await one(
      sql<{ id: string }>`insert into equipment_types (code, name, created_at) values ('CRANE', 'Crane', '2026-01-01Z') returning id`,
    );
    const e1 = await one(
      sql<{
        id: string;
      }>`insert into equipment (asset_tag, name, equipment_type_id, created_at) values ('E-1', 'Crane one', ${type}, '2026-01-01Z') returning id`,
    );
    const e2 = await one(
      sql<{
        id: string;
      }>`insert into equipment (asset_tag, name, equipment_type_id, created_at) values ('E-2', 'Crane two', ${type}, '2026-01-01Z') returning id`,
    );
    const d1 = await one(sql<{ id: string }>`insert into drivers (name, created_at) values ('Driver one', '2026-01-01Z') returning id`);
    const d2 = await one(sql<{ id: string }>`insert into drivers (name, created_at) values ('Driver two', '2026-01-01Z') returning id`);
    const s1 = await one(
      sql<{ id: string }>`insert into sites (name, address, created_at) values ('North yard', '1 North St', '2026-01-01Z') returning id`,
    );
    const s2 = await one(
      sql<{ id: string }>`insert into sites (name, address, created_at) values ('South yard', '2 South St', '2026-01-01Z') returning id`,
    );
    return { tenant, type: { id: type }, e1, e2, d1, d2, s1, s2 };
  });
}

function snap(
  w: World,
  p: { site: string; equipment: string; driver: string; status?: 'completed' | 'recalled'; t: StatusReportSnapshot['timestamps'] },
): StatusReportSnapshot {
  return {
    dispatchId: randomUUID(),
    workOrder: { id: randomUUID(), number: `WO-${Math.random().toString(36).slice(2, 8)}`, description: null },
    site: { id: p.site, name: p.site === w.s1 ? 'North yard' : 'South yard', address: null },
    equipment: { id: p.equipment, assetTag: 'E', name: 'Crane', typeId: w.type.id, typeCode: 'CRANE', typeName: 'Crane' },
    driver: { id: p.driver, name: 'Driver' },
    dispatcher: { kind: 'system', subject: 'system', name: 'system' },
    priority: 'standard',
    finalStatus: p.status ?? 'completed',
    timestamps: p.t,
  };
}

describe(`analytics on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let utc: World;
  let london: World;

  const analytics = async (w: World, query: string, role: Role = 'dispatcher') =>
    app.inject({
      method: 'GET',
      url: `/api/v1/analytics?${query}`,
      headers: { authorization: `Bearer ${await identity.token({ roles: [role], tenant: w.tenant.slug })}` },
    });
  const range = (from: string, to: string): string => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    utc = await world(database, 'UTC');
    london = await world(database, 'Europe/London');
    // Three dispatches on 2026-05-01 (UTC tenant):
    //  A: S1/E1/D1 created=queued 08:00, dispatched 08:10, on site 09:00, returning 11:00, completed 11:30
    //  B: S1/E2/D2 created=queued 08:05, dispatched 08:35, on site 09:05, returning 10:05, completed 10:20
    //  C: S2/E1/D1 created=queued 12:00, dispatched 13:30, en route 13:40, recalled 14:00
    await withTenant(database.db, utc.tenant.slug, async (tx) => {
      const w = utc;
      const day = (hm: string) => `2026-05-01T${hm}:00Z`;
      await recordStatusReport(
        tx,
        system(w.tenant.slug),
        snap(w, {
          site: w.s1,
          equipment: w.e1,
          driver: w.d1,
          t: {
            createdAt: day('08:00'),
            queuedAt: day('08:00'),
            dispatchedAt: day('08:10'),
            enRouteAt: day('08:15'),
            onSiteAt: day('09:00'),
            returningAt: day('11:00'),
            completedAt: day('11:30'),
          },
        }),
      );
      await recordStatusReport(
        tx,
        system(w.tenant.slug),
        snap(w, {
          site: w.s1,
          equipment: w.e2,
          driver: w.d2,
          t: {
            createdAt: day('08:05'),
            queuedAt: day('08:05'),
            dispatchedAt: day('08:35'),
            onSiteAt: day('09:05'),
            returningAt: day('10:05'),
            completedAt: day('10:20'),
          },
        }),
      );
      await recordStatusReport(
        tx,
        system(w.tenant.slug),
        snap(w, {
          site: w.s2,
          equipment: w.e1,
          driver: w.d1,
          status: 'recalled',
          t: {
            createdAt: day('12:00'),
            queuedAt: day('12:00'),
            dispatchedAt: day('13:30'),
            enRouteAt: day('13:40'),
            recalledAt: day('14:00'),
          },
        }),
      );
      // Outside the range: must not count.
      await recordStatusReport(
        tx,
        system(w.tenant.slug),
        snap(w, {
          site: w.s2,
          equipment: w.e2,
          driver: w.d2,
          t: { createdAt: '2026-05-02T08:00:00Z', dispatchedAt: '2026-05-02T08:00:00Z', completedAt: '2026-05-02T09:00:00Z' },
        }),
      );
    });
    // London: requests around both DST changes of 2026.
    await withTenant(database.db, london.tenant.slug, async (tx) => {
      const w = london;
      const add = (created: string, dispatched: string, done: string) =>
        recordStatusReport(
          tx,
          system(w.tenant.slug),
          snap(w, {
            site: w.s1,
            equipment: w.e1,
            driver: w.d1,
            t: { createdAt: created, queuedAt: created, dispatchedAt: dispatched, completedAt: done },
          }),
        );
      // 29 March (spring forward at 01:00Z: 01:00 GMT → 02:00 BST)
      await add('2026-03-29T00:30:00Z', '2026-03-29T00:40:00Z', '2026-03-29T00:50:00Z'); // 00:30 GMT
      await add('2026-03-29T01:30:00Z', '2026-03-29T02:10:00Z', '2026-03-29T03:00:00Z'); // 02:30 BST, waits into 03:10 BST
      // 25 October (fall back at 01:00Z: 02:00 BST → 01:00 GMT; 01:xx happens twice)
      await add('2026-10-25T00:30:00Z', '2026-10-25T00:45:00Z', '2026-10-25T00:50:00Z'); // 01:30 BST
      await add('2026-10-25T01:30:00Z', '2026-10-25T01:45:00Z', '2026-10-25T01:50:00Z'); // 01:30 GMT
      await add('2026-10-25T01:40:00Z', '2026-10-25T01:50:00Z', '2026-10-25T02:00:00Z'); // 01:40 GMT
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('computes the hand-worked figures for three dispatches', async () => {
    const res = await analytics(utc, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'));
    expect(res.statusCode).toBe(200);
    const a = res.json<Analytics>();
    expect(a.counts).toEqual({ created: 3, completed: 2, recalled: 1, cancelled: 0 });
    expect(a.fulfilmentRate).toBe(0.6667);
    // waits 600, 1800, 5400 s: mean 2600; p50 1800; p90 = 1800 + 0.8 × 3600 = 4680
    expect(a.queueWait).toEqual({ count: 3, mean: 2600, p50: 1800, p90: 4680 });
    expect(a.timeToDispatch).toEqual({ count: 3, mean: 2600, p50: 1800, p90: 4680 });
    // dispatched → on site: 3000, 1800 → mean 2400, p50 2400, p90 1800 + 0.9 × 1200 = 2880
    expect(a.timeToSite).toEqual({ count: 2, mean: 2400, p50: 2400, p90: 2880 });
    // on site → returning: 7200, 3600
    expect(a.onSite).toEqual({ count: 2, mean: 5400, p50: 5400, p90: 6840 });
    // E1 busy 08:10–11:30 (12000 s) + 13:30–14:00 (1800 s) of 86400 s; E2 08:35–10:20 (6300 s)
    const e1 = a.utilisation.equipment.items.find((i) => i.id === utc.e1)!;
    expect(e1).toEqual({ id: utc.e1, name: 'Crane one', busySeconds: 13800, availableSeconds: 86400, utilisation: 0.1597 });
    expect(a.utilisation.equipment.items.find((i) => i.id === utc.e2)?.busySeconds).toBe(6300);
    expect(a.utilisation.equipment.overall).toBe(0.1163); // 20100 / 172800
    expect(a.utilisation.drivers.items.map((i) => [i.name, i.busySeconds])).toEqual([
      ['Driver one', 13800],
      ['Driver two', 6300],
    ]);
    expect(a.busiestSites).toEqual([
      { siteId: utc.s1, name: 'North yard', dispatches: 2 },
      { siteId: utc.s2, name: 'South yard', dispatches: 1 },
    ]);
    expect(a.peakHours).toEqual([
      { hourOfDay: 8, requests: 2 },
      { hourOfDay: 12, requests: 1 },
    ]);
    expect(a.queueDepth).toHaveLength(24);
    const at = (h: number) => a.queueDepth[h]!;
    // 08:00–09:00: A waits 10 min, B 30 min → mean 40/60; A is waiting at 08:00 itself.
    expect(at(0)).toEqual({ hour: '2026-05-01T00:00:00+00:00', depth: 0, mean: 0 });
    expect(at(8)).toEqual({ hour: '2026-05-01T08:00:00+00:00', depth: 1, mean: 0.6667 });
    expect(at(9)).toMatchObject({ depth: 0, mean: 0 });
    expect(at(12)).toMatchObject({ depth: 1, mean: 1 });
    expect(at(13)).toMatchObject({ depth: 1, mean: 0.5 });
    expect(at(14)).toMatchObject({ depth: 0, mean: 0 });
  });

  it('counts cancelled, still-queued and active dispatches from the dispatch table', async () => {
    const w = utc;
    await withTenant(database.db, w.tenant.slug, async (tx) => {
      const wo = (
        await sql<{ id: string }>`
          insert into work_orders (number, site_id, description, priority, requested_start, created_by_subject, created_by_name, created_at)
          values ('WO-OPEN-1', ${w.s1}, 'Open work', 'standard', '2026-05-03T15:00:00Z', 'disp', 'Disp', '2026-05-03T15:00:00Z') returning id`.execute(
          tx,
        )
      ).rows[0]!.id;
      const line = (
        await sql<{
          id: string;
        }>`insert into work_order_lines (work_order_id, line_no, equipment_type_id, quantity) values (${wo}, 1, ${w.type.id}, 3) returning id`.execute(
          tx,
        )
      ).rows[0]!.id;
      // X cancelled out of the queue after 30 min; Y still queued; Z dispatched after 20 min, en route.
      await sql`
        insert into dispatches (work_order_id, line_id, equipment_type_id, site_id, priority, status, requested_start, created_at, queued_at, queue_seq, cancelled_at)
        values (${wo}, ${line}, ${w.type.id}, ${w.s1}, 'standard', 'cancelled', '2026-05-03T15:00:00Z', '2026-05-03T15:00:00Z', '2026-05-03T15:00:00Z', 1, '2026-05-03T15:30:00Z'),
               (${wo}, ${line}, ${w.type.id}, ${w.s1}, 'standard', 'queued', '2026-05-03T16:00:00Z', '2026-05-03T16:00:00Z', '2026-05-03T16:00:00Z', 2, null)`.execute(
        tx,
      );
      await sql`
        insert into dispatches (work_order_id, line_id, equipment_type_id, site_id, priority, status, requested_start, created_at, queued_at, queue_seq,
                                equipment_id, driver_id, dispatched_at, en_route_at)
        values (${wo}, ${line}, ${w.type.id}, ${w.s1}, 'standard', 'en_route', '2026-05-03T17:00:00Z', '2026-05-03T17:00:00Z', '2026-05-03T17:00:00Z', 3,
                ${w.e2}, ${w.d2}, '2026-05-03T17:20:00Z', '2026-05-03T17:25:00Z')`.execute(tx);
    });
    const a = (await analytics(w, range('2026-05-03T00:00:00Z', '2026-05-04T00:00:00Z'))).json<Analytics>();
    expect(a.source).toContain('dispatches');
    expect(a.counts).toEqual({ created: 3, completed: 0, recalled: 0, cancelled: 1 });
    expect(a.fulfilmentRate).toBe(0);
    expect(a.queueWait).toEqual({ count: 1, mean: 1200, p50: 1200, p90: 1200 });
    expect(a.queueDepth.slice(15, 19)).toEqual([
      { hour: '2026-05-03T15:00:00+00:00', depth: 1, mean: 0.5 },
      { hour: '2026-05-03T16:00:00+00:00', depth: 1, mean: 1 },
      { hour: '2026-05-03T17:00:00+00:00', depth: 2, mean: 1.3333 },
      { hour: '2026-05-03T18:00:00+00:00', depth: 1, mean: 1 },
    ]);
    // Z holds E2 from 17:20 to the end of the range.
    expect(a.utilisation.equipment.items.find((i) => i.id === w.e2)?.busySeconds).toBe(24000);
    expect(a.peakHours).toEqual([
      { hourOfDay: 15, requests: 1 },
      { hourOfDay: 16, requests: 1 },
      { hourOfDay: 17, requests: 1 },
    ]);
  });

  it('filters by site and equipment type', async () => {
    const bySite = (await analytics(utc, `${range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')}&siteId=${utc.s2}`)).json<Analytics>();
    expect(bySite.counts).toEqual({ created: 1, completed: 0, recalled: 1, cancelled: 0 });
    expect(bySite.queueWait).toEqual({ count: 1, mean: 5400, p50: 5400, p90: 5400 });
    const byOtherType = (
      await analytics(utc, `${range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')}&equipmentTypeId=${randomUUID()}`)
    ).json<Analytics>();
    expect(byOtherType.counts.created).toBe(0);
    expect(byOtherType.queueWait).toEqual({ count: 0, mean: null, p50: null, p90: null });
    expect(byOtherType.utilisation.equipment.items).toEqual([]);
  });

  it('buckets the spring-forward day into 23 local hours', async () => {
    // The local day 29 March 2026: 00:00 GMT (00:00Z) to 00:00 BST on the 30th (23:00Z).
    const a = (await analytics(london, range('2026-03-29T00:00:00+00:00', '2026-03-30T00:00:00+01:00'))).json<Analytics>();
    expect(a.range.timeZone).toBe('Europe/London');
    expect(a.queueDepth).toHaveLength(23);
    expect(a.queueDepth.slice(0, 4).map((q) => q.hour)).toEqual([
      '2026-03-29T00:00:00+00:00',
      '2026-03-29T02:00:00+01:00',
      '2026-03-29T03:00:00+01:00',
      '2026-03-29T04:00:00+01:00',
    ]);
    expect(a.queueDepth.at(-1)?.hour).toBe('2026-03-29T23:00:00+01:00');
    // 00:30–00:40 GMT in the 00:00 bucket; 02:30 BST – 03:10 BST spans the 02:00 and 03:00 buckets.
    expect(a.queueDepth.slice(0, 4).map((q) => [q.depth, q.mean])).toEqual([
      [0, 0.1667],
      [0, 0.5],
      [1, 0.1667],
      [0, 0],
    ]);
    expect(a.peakHours).toEqual([
      { hourOfDay: 0, requests: 1 },
      { hourOfDay: 2, requests: 1 },
    ]);
  });

  it('buckets the fall-back day into 25 local hours, the repeated hour once per offset', async () => {
    const a = (await analytics(london, range('2026-10-25T00:00:00+01:00', '2026-10-26T00:00:00+00:00'))).json<Analytics>();
    expect(a.queueDepth).toHaveLength(25);
    // 00:30–00:45Z (01:30 BST, 15 min); 01:30–01:45Z and 01:40–01:50Z (01:xx GMT, 25 min).
    expect(a.queueDepth.slice(0, 4).map((q) => [q.hour, q.mean])).toEqual([
      ['2026-10-25T00:00:00+01:00', 0],
      ['2026-10-25T01:00:00+01:00', 0.25],
      ['2026-10-25T01:00:00+00:00', 0.4167],
      ['2026-10-25T02:00:00+00:00', 0],
    ]);
    // All three requests were made at 01:xx local time.
    expect(a.peakHours).toEqual([{ hourOfDay: 1, requests: 3 }]);
    expect(a.counts.created).toBe(3);
  });

  it('exports CSV and refuses bad ranges; drivers may not read analytics', async () => {
    const res = await analytics(utc, `${range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')}&format=csv`, 'viewer');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('section,key,metric,value');
    expect(lines).toContain('counts,,created,3');
    expect(lines).toContain('durations_seconds,queueWait,p90,4680');
    expect(lines).toContain('queue_depth,2026-05-01T08:00:00+00:00,mean,0.6667');
    expect((await analytics(utc, range('2026-05-02T00:00:00Z', '2026-05-01T00:00:00Z'))).statusCode).toBe(400);
    expect((await analytics(utc, 'from=yesterday&to=today')).statusCode).toBe(400);
    expect((await analytics(utc, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'), 'driver')).statusCode).toBe(403);
  });
});
