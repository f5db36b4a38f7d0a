import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceDispatch, cancelDispatch, createWorkOrder, declineDispatch, recallDispatch } from '../src/modules/dispatch/index.js';
import { returnToService, sendToMaintenance } from '../src/modules/fleet/index.js';
import { setDriverDuty } from '../src/modules/people/index.js';
import { AppError } from '../src/platform/errors.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { checkDispatchInvariants } from './support/dispatch-invariants.js';
import { buildFleet, dispatcherCaller, driverCaller, type Fleet } from './support/fleet.js';
import { pick, seededRandom } from './support/random.js';

const SEED = Number(process.env.DISPATCH_SEED ?? 20261125);
const CLIENTS = 50;
const OPERATIONS = 2000;

describe(`randomised concurrent dispatch load on PostgreSQL (seed ${SEED}, replay with DISPATCH_SEED)`, () => {
  let database: Database;
  let slug: string;
  let fleet: Fleet;

  beforeAll(async () => {
    database = await openTestDatabase();
    slug = (await createTestTenant(database, 'conc')).slug;
    fleet = await buildFleet(database, slug, {
      types: { VAN: [], CRANE: ['NCCCO'], TANKER: ['HAZMAT', 'CDL'], TRUCK: ['CDL'] },
      equipment: { VAN: 3, CRANE: 2, TANKER: 2, TRUCK: 3 },
      drivers: [
        { quals: ['CDL'] },
        { quals: ['CDL', 'HAZMAT'] },
        { quals: ['NCCCO'] },
        { quals: ['NCCCO', 'CDL'] },
        { quals: [] },
        { quals: ['CDL', { code: 'HAZMAT', expiresAt: '2021-01-01T00:00:00Z' }] },
        { quals: ['CDL'], onDuty: false },
        { quals: ['NCCCO', 'HAZMAT', 'CDL'] },
        { quals: [] },
        { quals: ['CDL'] },
      ],
    });
  });
  afterAll(async () => {
    await database.close();
  });

  it('keeps every invariant under 50 concurrent clients', async () => {
    const random = seededRandom(SEED);
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    const count = (key: string): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const typeCodes = Object.keys(fleet.typeIds);
    const allEquipment = Object.values(fleet.equipmentIds).flat();
    // The plan is drawn up front from the seed so a replay issues the same operations.
    const plan = Array.from({ length: OPERATIONS }, () => ({ roll: random(), a: random(), b: random(), c: random() }));
    let next = 0;

    const pickDispatch = async (statuses: string[], r: number) =>
      withTenant(database.db, slug, async (tx) => {
        const rows = (await sql<{ id: string; version: number; driver_id: string | null }>`
          select id, version, driver_id from dispatches where status = any(${statuses}::text[]) order by id`.execute(tx)).rows;
        return rows[Math.floor(r * rows.length)];
      });

    async function operate(op: (typeof plan)[number]): Promise<void> {
      const caller = dispatcherCaller(slug);
      if (op.roll < 0.34) {
        const type = pick(() => op.a, typeCodes) ?? 'VAN';
        const priority = pick(() => op.b, ['urgent', 'standard', 'standard', 'low'] as const) ?? 'standard';
        await withTenant(database.db, slug, (tx) =>
          createWorkOrder(tx, caller, { siteId: fleet.siteId, description: 'load', priority, lines: [{ equipmentTypeId: fleet.typeIds[type] ?? '', quantity: op.c < 0.8 ? 1 : 2 }] }),
        );
        return count('create');
      }
      if (op.roll < 0.62) {
        const d = await pickDispatch(['dispatched', 'en_route', 'on_site', 'returning'], op.a);
        if (!d) return count('noop');
        const status = op.b < 0.7 ? 'completed' : (pick(() => op.c, ['en_route', 'on_site', 'returning'] as const) ?? 'en_route');
        await withTenant(database.db, slug, (tx) => advanceDispatch(tx, caller, d.id, d.version, { status }));
        return count(`advance.${status}`);
      }
      if (op.roll < 0.7) {
        const d = await pickDispatch(['queued', 'scheduled'], op.a);
        if (!d) return count('noop');
        await withTenant(database.db, slug, (tx) => cancelDispatch(tx, caller, d.id, d.version, 'load test'));
        return count('cancel');
      }
      if (op.roll < 0.78) {
        const d = await pickDispatch(['dispatched'], op.a);
        if (!d?.driver_id) return count('noop');
        const subject = fleet.driverSubjects[fleet.driverIds.indexOf(d.driver_id)] ?? '';
        await withTenant(database.db, slug, (tx) => declineDispatch(tx, driverCaller(slug, subject), d.id, d.version, 'load test'));
        return count('decline');
      }
      if (op.roll < 0.84) {
        const d = await pickDispatch(['dispatched', 'en_route', 'on_site'], op.a);
        if (!d) return count('noop');
        await withTenant(database.db, slug, (tx) => recallDispatch(tx, caller, d.id, d.version, 'load test'));
        return count('recall');
      }
      if (op.roll < 0.93) {
        const driverId = pick(() => op.a, fleet.driverIds) ?? '';
        await withTenant(database.db, slug, (tx) => setDriverDuty(tx, caller, driverId, undefined, { dutyStatus: op.b < 0.6 ? 'on_duty' : 'off_duty' }));
        return count('duty');
      }
      const equipmentId = pick(() => op.a, allEquipment) ?? '';
      const admin = { ...caller, roles: ['admin'] };
      if (op.b < 0.5) await withTenant(database.db, slug, (tx) => sendToMaintenance(tx, caller, equipmentId, undefined, 'load test'));
      else await withTenant(database.db, slug, (tx) => returnToService(tx, admin, equipmentId, undefined, null));
      return count('maintenance');
    }

    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < plan.length) {
          const op = plan[next++];
          if (!op) break;
          try {
            await operate(op);
          } catch (error) {
            // A conflict (stale version, no longer in that state, equipment on a job) is a correct
            // answer to a race; anything else is a bug.
            if (error instanceof AppError && (error.status === 409 || error.status === 404)) count(`conflict.${error.status}`);
            else unexpected.push(String((error as Error).stack ?? error));
          }
        }
      }),
    );

    expect(unexpected.slice(0, 3)).toEqual([]);
    const result = await checkDispatchInvariants(database, slug);
    expect(result.violations.slice(0, 10)).toEqual([]);
    expect(result.assignments).toBeGreaterThan(200);
    expect(outcomes.get('create') ?? 0).toBeGreaterThan(600);
    console.log(`seed ${SEED}: ${JSON.stringify(Object.fromEntries(outcomes))}; ${result.assignments} assignments over ${result.dispatches} dispatches`);
  }, 240_000);
});
