import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceDispatch, cancelDispatch, createWorkOrder, declineDispatch, recallDispatch } from '../src/modules/dispatch/index.js';
import { createEquipment, createEquipmentType, returnToService, sendToMaintenance } from '../src/modules/fleet/index.js';
import { createDriver, createQualification, setDriverDuty } from '../src/modules/people/index.js';
import { createRegion } from '../src/modules/regions/index.js';
import { createSite } from '../src/modules/sites/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { runPlan } from './support/concurrent-plan.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { checkDispatchInvariants } from './support/dispatch-invariants.js';
import { dispatcherCaller, driverCaller } from './support/fleet.js';
import { pick, seededRandom } from './support/random.js';

const SEED = Number(process.env.DISPATCH_SEED ?? 20261202);
// PGlite serves one connection: fewer clients and operations keep the run short there.
const CLIENTS = testDbKind() === 'postgres' ? 40 : 6;
const OPERATIONS = testDbKind() === 'postgres' ? 1200 : 240;

type RegionCode = 'NORTH' | 'SOUTH' | null;

/**
 * The concurrency test's style (seeded random plan, many clients, invariants checked from the
 * database afterwards) with two regions and shared resources: matching never crosses regions, a
 * region's queue never waits behind another region's, and all of §5.2's invariants still hold.
 */
describe(`randomised concurrent dispatch load with two regions on ${testDbKind()} (seed ${SEED}, replay with DISPATCH_SEED)`, () => {
  let database: Database;
  let slug: string;
  const sites: Array<{ id: string; region: RegionCode }> = [];
  const typeIds: Record<'VAN' | 'CRANE', string> = { VAN: '', CRANE: '' };
  const equipmentIds: string[] = [];
  const drivers: Array<{ id: string; subject: string }> = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    slug = (await createTestTenant(database, 'concr')).slug;
    const caller = { ...dispatcherCaller(slug), roles: ['admin'] };
    await withTenant(database.db, slug, async (tx) => {
      for (const code of ['NORTH', 'SOUTH']) await createRegion(tx, caller, { code, name: code });
      for (const region of ['NORTH', 'SOUTH', null] as const) {
        sites.push({ id: (await createSite(tx, caller, { name: `Site ${region ?? 'shared'}`, address: 'x', region })).id, region });
      }
      const nccco = (await createQualification(tx, caller, { code: 'NCCCO', name: 'Crane' })).id;
      typeIds.VAN = (await createEquipmentType(tx, caller, { code: 'VAN', name: 'Van', requiredQualificationIds: [] })).id;
      typeIds.CRANE = (await createEquipmentType(tx, caller, { code: 'CRANE', name: 'Crane', requiredQualificationIds: [nccco] })).id;
      const fleet: Array<[keyof typeof typeIds, RegionCode, number]> = [
        ['VAN', 'NORTH', 2],
        ['VAN', 'SOUTH', 1],
        ['VAN', null, 1],
        ['CRANE', 'NORTH', 1],
        ['CRANE', 'SOUTH', 1],
      ];
      for (const [type, region, n] of fleet) {
        for (let i = 0; i < n; i++) {
          const tag = `${type}-${region ?? 'X'}-${i + 1}`;
          equipmentIds.push((await createEquipment(tx, caller, { assetTag: tag, name: tag, equipmentTypeId: typeIds[type], region })).id);
        }
      }
      const crew: Array<[RegionCode, boolean]> = [
        ['NORTH', true],
        ['NORTH', false],
        ['NORTH', true],
        ['SOUTH', true],
        ['SOUTH', false],
        [null, true],
        [null, false],
      ];
      for (const [i, [region, crane]] of crew.entries()) {
        const subject = randomUUID();
        const created = await createDriver(tx, caller, {
          name: `Driver ${i + 1} ${region ?? 'shared'}`,
          subject,
          region,
          dutyStatus: 'on_duty',
          qualifications: crane ? [{ qualificationId: nccco }] : [],
        });
        drivers.push({ id: created.id, subject });
      }
    });
  });
  afterAll(async () => {
    await database.close();
  });

  it('never matches across regions, never stalls one region behind another, and keeps every invariant', async () => {
    const random = seededRandom(SEED);
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    const count = (key: string): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const plan = Array.from({ length: OPERATIONS }, () => ({ roll: random(), a: random(), b: random(), c: random() }));

    const pickDispatch = async (statuses: string[], r: number) =>
      withTenant(database.db, slug, async (tx) => {
        const rows = (
          await sql<{ id: string; version: number; driver_id: string | null }>`
          select id, version, driver_id from dispatches where status = any(${statuses}::text[]) order by id`.execute(tx)
        ).rows;
        return rows[Math.floor(r * rows.length)];
      });

    async function operate(op: (typeof plan)[number]): Promise<void> {
      const caller = dispatcherCaller(slug);
      if (op.roll < 0.36) {
        const site = pick(() => op.a, sites) ?? sites[0];
        const type = op.b < 0.65 ? typeIds.VAN : typeIds.CRANE;
        await withTenant(database.db, slug, (tx) =>
          createWorkOrder(tx, caller, {
            siteId: site?.id ?? '',
            description: 'load',
            priority: op.c < 0.3 ? 'urgent' : 'standard',
            lines: [{ equipmentTypeId: type, quantity: 1 }],
          }),
        );
        return count('create');
      }
      if (op.roll < 0.66) {
        const d = await pickDispatch(['dispatched', 'en_route', 'on_site', 'returning'], op.a);
        if (!d) return count('noop');
        const status = op.b < 0.75 ? 'completed' : (pick(() => op.c, ['en_route', 'on_site', 'returning'] as const) ?? 'en_route');
        await withTenant(database.db, slug, (tx) => advanceDispatch(tx, caller, d.id, d.version, { status }));
        return count(`advance.${status}`);
      }
      if (op.roll < 0.72) {
        const d = await pickDispatch(['queued'], op.a);
        if (!d) return count('noop');
        await withTenant(database.db, slug, (tx) => cancelDispatch(tx, caller, d.id, d.version, 'load test'));
        return count('cancel');
      }
      if (op.roll < 0.78) {
        const d = await pickDispatch(['dispatched'], op.a);
        const driver = drivers.find((x) => x.id === d?.driver_id);
        if (!d || !driver) return count('noop');
        await withTenant(database.db, slug, (tx) => declineDispatch(tx, driverCaller(slug, driver.subject), d.id, d.version, 'load test'));
        return count('decline');
      }
      if (op.roll < 0.84) {
        const d = await pickDispatch(['dispatched', 'en_route', 'on_site'], op.a);
        if (!d) return count('noop');
        await withTenant(database.db, slug, (tx) => recallDispatch(tx, caller, d.id, d.version, 'load test'));
        return count('recall');
      }
      if (op.roll < 0.92) {
        const driver = pick(() => op.a, drivers);
        await withTenant(database.db, slug, (tx) =>
          setDriverDuty(tx, caller, driver?.id ?? '', undefined, { dutyStatus: op.b < 0.65 ? 'on_duty' : 'off_duty' }),
        );
        return count('duty');
      }
      const equipmentId = pick(() => op.a, equipmentIds) ?? '';
      if (op.b < 0.5) await withTenant(database.db, slug, (tx) => sendToMaintenance(tx, caller, equipmentId, undefined, 'load test'));
      else await withTenant(database.db, slug, (tx) => returnToService(tx, { ...caller, roles: ['admin'] }, equipmentId, undefined, null));
      return count('maintenance');
    }

    unexpected.push(...(await runPlan(plan, CLIENTS, operate, count)));
    expect(unexpected.slice(0, 3)).toEqual([]);

    // Every automatic assignment stayed in its site's region (or used a shared site or resource).
    const crossed = await withTenant(
      database.db,
      slug,
      async (tx) =>
        (
          await sql<{ id: string }>`
          select d.id from dispatches d join sites s on s.id = d.site_id
          left join equipment e on e.id = d.equipment_id left join drivers r on r.id = d.driver_id
          where d.equipment_id is not null and s.region is not null
            and ((e.region is not null and e.region <> s.region) or (r.region is not null and r.region <> s.region))`.execute(tx)
        ).rows,
    );
    expect(crossed).toEqual([]);

    // At rest, no queued request waits while a machine and a qualified driver its region may use are free
    // (matching after a change runs just after the change commits: give it a moment).
    const servable = () =>
      withTenant(
        database.db,
        slug,
        async (tx) =>
          (
            await sql<{ id: string }>`
            select d.id from dispatches d join sites s on s.id = d.site_id
            where d.status = 'queued'
              and exists (select 1 from equipment e where e.status = 'available' and e.equipment_type_id = d.equipment_type_id
                and (s.region is null or e.region is null or e.region = s.region))
              and exists (select 1 from drivers r where r.duty_status = 'on_duty' and r.archived_at is null
                and (s.region is null or r.region is null or r.region = s.region)
                and not (r.id = any(d.declined_driver_ids))
                and not exists (select 1 from dispatches x where x.driver_id = r.id and x.status in ('dispatched', 'en_route', 'on_site', 'returning'))
                and not exists (select 1 from equipment_type_qualifications q where q.equipment_type_id = d.equipment_type_id
                  and not exists (select 1 from driver_qualifications h where h.driver_id = r.id and h.qualification_id = q.qualification_id
                    and (h.expires_at is null or h.expires_at > now()))))`.execute(tx)
          ).rows,
      );
    let waiting = await servable();
    for (let i = 0; i < 50 && waiting.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      waiting = await servable();
    }
    expect(waiting).toEqual([]);

    const result = await checkDispatchInvariants(database, slug);
    expect(result.violations.slice(0, 10)).toEqual([]);
    expect(result.assignments).toBeGreaterThan(OPERATIONS / 20);
    const byRegion = await withTenant(
      database.db,
      slug,
      async (tx) =>
        (
          await sql<{
            region: string | null;
            n: number;
          }>`select s.region, count(*)::int as n from dispatches d join sites s on s.id = d.site_id where d.dispatched_at is not null group by s.region`.execute(
            tx,
          )
        ).rows,
    );
    expect(byRegion.map((r) => r.region).sort()).toEqual(['NORTH', 'SOUTH', null].sort());
    console.log(
      `seed ${SEED}: ${JSON.stringify(Object.fromEntries(outcomes))}; ${result.assignments} assignments over ${result.dispatches} dispatches; by site region ${JSON.stringify(byRegion)}`,
    );
  }, 300_000);
});
