import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candidates } from '@yardmaster/contracts';
import { createWorkOrder, dispatchManually } from '../src/modules/dispatch/index.js';
import { sendToMaintenance } from '../src/modules/fleet/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller, type Fleet } from './support/fleet.js';
import type { TestIdentity } from './support/identity.js';

describe(`manual-assignment candidates on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let slug: string;
  let fleet: Fleet;
  let busyWo: string;
  let queuedId: string;
  let activeId: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    slug = (await createTestTenant(database, 'cand')).slug;
    fleet = await buildFleet(database, slug, {
      types: { CRANE: ['NCCCO'], VAN: [] },
      equipment: { CRANE: 3, VAN: 1 },
      drivers: [
        { name: 'Ann Ortiz', quals: ['NCCCO'] },
        { name: 'Bob Expired', quals: [{ code: 'NCCCO', expiresAt: '2020-01-01T00:00:00Z' }] },
        { name: 'Cat Unqualified', quals: [] },
        { name: 'Dan Offduty', quals: ['NCCCO'], onDuty: false },
        { name: 'Eve Busy', quals: ['NCCCO'] },
      ],
    });
    const caller = dispatcherCaller(slug);
    const [crane1, crane2] = fleet.equipmentIds.CRANE ?? [];
    await withTenant(database.db, slug, async (tx) => {
      await sql`insert into tenant_settings (key, value) values ('dispatch', '{"autoProcessing": false}'::jsonb)`.execute(tx);
      await sendToMaintenance(tx, caller, crane1 ?? '', undefined, 'hydraulic leak');
    });
    const order = {
      siteId: fleet.siteId,
      description: 'Lift',
      priority: 'standard' as const,
      lines: [{ equipmentTypeId: fleet.typeIds.CRANE ?? '', quantity: 1 }],
    };
    const first = await withTenant(database.db, slug, (tx) => createWorkOrder(tx, caller, order));
    busyWo = first.number;
    activeId = first.dispatchIds[0] ?? '';
    await withTenant(database.db, slug, (tx) =>
      dispatchManually(tx, caller, activeId, undefined, { equipmentId: crane2 ?? '', driverId: fleet.driverIds[4] ?? '' }),
    );
    const second = await withTenant(database.db, slug, (tx) => createWorkOrder(tx, caller, order));
    queuedId = second.dispatchIds[0] ?? '';
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  const get = async (role: 'admin' | 'dispatcher' | 'viewer' | 'driver' | null, id: string, tenant = slug) => {
    const token = role ? await identity.token({ roles: [role], tenant }) : null;
    return app.inject({
      method: 'GET',
      url: `/api/v1/dispatches/${id}/candidates`,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  };

  it('lists every machine and driver, eligible first, the others with reasons in plain words', async () => {
    const response = await get('dispatcher', queuedId);
    expect(response.statusCode).toBe(200);
    const body = response.json<Candidates>();
    const eq = Object.fromEntries(body.equipment.map((e) => [e.code, e]));
    expect(body.equipment.map((e) => e.code)).toEqual(['CRANE-3', 'CRANE-1', 'CRANE-2', 'VAN-1']);
    expect(eq['CRANE-3']).toMatchObject({ eligible: true, reasons: [] });
    expect(eq['CRANE-1']?.eligible).toBe(false);
    expect(eq['CRANE-1']?.reasons).toEqual([expect.stringMatching(/^in maintenance since \d{4}-\d{2}-\d{2} \(hydraulic leak\)$/)]);
    expect(eq['CRANE-2']?.reasons).toEqual([expect.stringMatching(new RegExp(`^on ${busyWo} until about \\d{2}:\\d{2} UTC$`))]);
    expect(eq['VAN-1']).toMatchObject({ eligible: false, reasons: ['wrong type: this is a VAN'] });

    const dr = Object.fromEntries(body.drivers.map((d) => [d.name, d]));
    expect(body.drivers[0]).toMatchObject({ name: 'Ann Ortiz', eligible: true, reasons: [] });
    expect(body.drivers.filter((d) => d.eligible)).toHaveLength(1);
    expect(dr['Bob Expired']?.reasons).toEqual(['qualification NCCCO expired on 2020-01-01']);
    expect(dr['Cat Unqualified']?.reasons).toEqual(['missing qualification NCCCO']);
    expect(dr['Dan Offduty']?.reasons).toEqual(['off duty']);
    expect(dr['Eve Busy']?.reasons).toEqual([expect.stringMatching(new RegExp(`^on ${busyWo} until about \\d{2}:\\d{2} UTC$`))]);
  });

  it('is the rule manual assignment applies: every ineligible pick is refused, the eligible one is accepted', async () => {
    const body = (await get('dispatcher', queuedId)).json<Candidates>();
    const eligibleMachine = body.equipment.find((e) => e.eligible)?.id ?? '';
    const eligibleDriver = body.drivers.find((d) => d.eligible)?.id ?? '';
    const caller = dispatcherCaller(slug);
    const attempt = (equipmentId: string, driverId: string) =>
      withTenant(database.db, slug, (tx) => dispatchManually(tx, caller, queuedId, undefined, { equipmentId, driverId })).then(
        () => 'accepted',
        (e: unknown) => (e as { status?: number }).status,
      );
    for (const machine of body.equipment.filter((e) => !e.eligible))
      expect(await attempt(machine.id, eligibleDriver), machine.code).toBe(409);
    for (const driver of body.drivers.filter((d) => !d.eligible)) expect(await attempt(eligibleMachine, driver.id), driver.name).toBe(409);
    // The refusals changed nothing; the listed pick is still eligible and is accepted.
    const again = (await get('admin', queuedId)).json<Candidates>();
    expect(again).toEqual(body);
    expect(await attempt(eligibleMachine, eligibleDriver)).toBe('accepted');
  });

  it('answers dispatchers and admins only; 409 when the dispatch is not waiting; 404 for an unknown or another tenant’s dispatch', async () => {
    expect((await get(null, activeId)).statusCode).toBe(401);
    expect((await get('viewer', activeId)).statusCode).toBe(403);
    expect((await get('driver', activeId)).statusCode).toBe(403);
    const notWaiting = await get('admin', activeId);
    expect(notWaiting.statusCode).toBe(409);
    expect(notWaiting.headers['content-type']).toContain('application/problem+json');
    expect(notWaiting.json()).toMatchObject({ type: '/problems/dispatch/invalid-transition', status: 409 });
    expect((await get('dispatcher', '00000000-0000-4000-8000-00000000beef')).statusCode).toBe(404);
    const other = (await createTestTenant(database, 'cand2')).slug;
    expect((await get('dispatcher', activeId, other)).statusCode).toBe(404);
    const invalid = await get('dispatcher', 'not-a-uuid');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ status: 400 });
  });
});
