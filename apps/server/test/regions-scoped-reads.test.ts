import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { evaluateAlerts } from '../src/modules/alerts/index.js';
import { notificationsOf } from '../src/modules/notifications/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { openStream, type SseMessage } from './support/sse.js';

/**
 * Region scoping of the reads that are not a row by id (issue 18, "in every route"): the live
 * stream, analytics, alerts and the queue explanation, for a dispatcher limited to NORTH against
 * an admin. The route × role × region matrix checks the same reads name no SOUTH row; here each
 * one is checked to still show what the dispatcher may see, and to say why when the reason is regional.
 */
describe(`region-scoped reads (live events, analytics, alerts, explain) on ${testDbKind()}`, () => {
  let database: Database;
  let t: TestApp;
  let tenant: TenantRecord;
  let admin: string;
  let north: string;
  let baseUrl: string;
  const ids = { northSite: '', southSite: '', type: '', s1: '', s2: '', northDriver: '', sam: '', northDispatch: '', southDispatch: '' };

  const call = (token: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const ok = async (token: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const response = await call(token, method, url, payload, headers);
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json<Record<string, unknown>>();
  };
  const patch = async (url: string, body: Record<string, unknown>) => {
    const current = await ok(admin, 'GET', url);
    return ok(admin, 'PATCH', url, body, { 'if-match': `"${String(current.version)}"` });
  };
  const order = async (siteId: string): Promise<string> =>
    (
      (await ok(admin, 'POST', '/api/v1/work-orders', { siteId, description: 'lift', lines: [{ equipmentTypeId: ids.type, quantity: 1 }] }))
        .dispatchIds as string[]
    )[0] ?? '';

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'regread');
    t = await createTestApp(database);
    notificationsOf(t.app).settings.pollMs = 100;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    admin = await t.identity.token({ roles: ['admin'], tenant: tenant.slug });
    for (const code of ['NORTH', 'SOUTH']) await ok(admin, 'POST', '/api/v1/regions', { code, name: code });
    await ok(admin, 'POST', '/api/v1/users', { subject: 'disp-north', roles: ['dispatcher'], regions: ['NORTH'] });
    north = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug, sub: 'disp-north' });
    ids.type = (await ok(admin, 'POST', '/api/v1/equipment-types', { code: 'CR', name: 'Crane', requiredQualificationIds: [] }))
      .id as string;
    ids.northSite = (await ok(admin, 'POST', '/api/v1/sites', { name: 'North yard', address: 'x', region: 'NORTH' })).id as string;
    ids.southSite = (await ok(admin, 'POST', '/api/v1/sites', { name: 'South yard', address: 'x', region: 'SOUTH' })).id as string;
    // Two southern cranes, none in the north; a driver on duty in each region.
    for (const key of ['s1', 's2'] as const)
      ids[key] = (
        await ok(admin, 'POST', '/api/v1/equipment', { assetTag: key.toUpperCase(), name: key, equipmentTypeId: ids.type, region: 'SOUTH' })
      ).id as string;
    ids.sam = (await ok(admin, 'POST', '/api/v1/drivers', { name: 'Sam South', region: 'SOUTH', dutyStatus: 'on_duty' })).id as string;
    ids.northDriver = (await ok(admin, 'POST', '/api/v1/drivers', { name: 'Nell North', region: 'NORTH', dutyStatus: 'on_duty' }))
      .id as string;
    // The north request waits (no crane in its region); the south one is served by S-1 or S-2 with Sam.
    ids.northDispatch = await order(ids.northSite);
    ids.southDispatch = await order(ids.southSite);
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  it('explains a request that waits for its region: "no free CR in your region (NORTH)", naming no southern resource', async () => {
    const response = await call(north, 'GET', `/api/v1/dispatches/${ids.northDispatch}/explain`);
    expect(response.statusCode).toBe(200);
    const explain = response.json<{ summary: string; blockers: Array<{ kind: string; message: string }> }>();
    expect(explain.summary).toMatch(/^no free CR in your region \(NORTH\); free ones in other regions are not used/);
    expect(explain.blockers.map((b) => b.kind)).toContain('region');
    for (const secret of [ids.s1, ids.s2, ids.sam, 'S1', 'S2', 'Sam South']) expect(response.body).not.toContain(secret);
    // An admin (not limited) is told the same rule, by the region's name.
    const asAdmin = await ok(admin, 'GET', `/api/v1/dispatches/${ids.northDispatch}/explain`);
    expect(asAdmin.summary).toMatch(/^no free CR in region NORTH/);
    // The south request was served: nothing regional to say about it (and it is hidden from the north).
    expect((await call(north, 'GET', `/api/v1/dispatches/${ids.southDispatch}/explain`)).statusCode).toBe(404);
  });

  it("lists alerts about the caller's regions only; an admin sees all", async () => {
    // A second southern request waits too (both cranes are not free: one is on the first job, the
    // other taken now), then both queued requests are "queued too long" three hours from now.
    const waiting = await order(ids.southSite);
    const third = await order(ids.southSite);
    await withTenant(database.db, tenant.slug, (tx) => evaluateAlerts(tx, new Date(Date.now() + 3 * 3_600_000)));
    const mine = (await ok(north, 'GET', '/api/v1/alerts')).items as Array<{ entityId: string }>;
    const all = (await ok(admin, 'GET', '/api/v1/alerts')).items as Array<{ entityId: string }>;
    expect(mine.map((a) => a.entityId)).toContain(ids.northDispatch);
    const southern = all.map((a) => a.entityId).filter((id) => id === waiting || id === third);
    expect(southern.length).toBeGreaterThan(0);
    for (const id of [waiting, third, ids.southDispatch]) expect(mine.map((a) => a.entityId)).not.toContain(id);
  });

  it("computes analytics over the caller's regions (and shared sites) only", async () => {
    const range = `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 86_400_000).toISOString()}`;
    const response = await call(north, 'GET', `/api/v1/analytics?${range}`);
    expect(response.statusCode).toBe(200);
    const mine = response.json<{
      counts: { created: number };
      busiestSites: Array<{ siteId: string }>;
      utilisation: { equipment: { items: unknown[] } };
    }>();
    expect(mine.counts.created).toBe(1);
    expect(mine.busiestSites.map((s) => s.siteId)).toEqual([ids.northSite]);
    expect(mine.utilisation.equipment.items).toEqual([]);
    for (const secret of [ids.southSite, ids.s1, ids.s2, ids.sam]) expect(response.body).not.toContain(secret);
    const all = await ok(admin, 'GET', `/api/v1/analytics?${range}`);
    expect((all.counts as { created: number }).created).toBe(4);
    expect(JSON.stringify(all)).toContain(ids.southSite);
    // The CSV export is the same computation.
    const csv = await call(north, 'GET', `/api/v1/analytics?${range}&format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).not.toContain(ids.southSite);
  });

  it('streams a region-limited dispatcher only events about their regions and shared ones; a move reaches both sides', async () => {
    const mine = openStream(baseUrl, north);
    const everything = openStream(baseUrl, admin);
    await Promise.all([mine.ready, everything.ready]);
    await patch(`/api/v1/drivers/${ids.sam}`, { name: 'Sam S.' }); // SOUTH
    await patch(`/api/v1/sites/${ids.southSite}`, { name: 'South yard 2' }); // SOUTH
    await patch(`/api/v1/drivers/${ids.northDriver}`, { name: 'Nell N.' }); // NORTH
    const shared = (await ok(admin, 'POST', '/api/v1/sites', { name: 'Shared yard', address: 'x' })).id as string; // shared
    // A free crane moves north: news to both sides; the waiting northern request is then served (NORTH events).
    // One southern crane is free: the other took the first southern job with Sam, the only southern driver.
    const free = (await ok(admin, 'GET', `/api/v1/equipment/${ids.s1}`)).status === 'available' ? ids.s1 : ids.s2;
    expect((await ok(admin, 'GET', `/api/v1/equipment/${free}`)).status).toBe('available');
    await patch(`/api/v1/equipment/${free}`, { region: 'NORTH' });
    await patch(`/api/v1/sites/${ids.northSite}`, { name: 'North yard (end)' }); // NORTH, the last event
    await everything.waitForText('North yard (end)');
    await mine.waitForText('North yard (end)');
    const seen = (messages: SseMessage[]) =>
      messages.map((m) => JSON.parse(m.data) as { entityType: string; entityId: string; type: string });
    const mineSeen = seen(mine.messages);
    const allSeen = seen(everything.messages);
    // The admin saw the southern events; the northern dispatcher none of them.
    expect(allSeen.some((e) => e.entityId === ids.sam)).toBe(true);
    expect(allSeen.some((e) => e.entityId === ids.southSite)).toBe(true);
    expect(mineSeen.some((e) => e.entityId === ids.sam)).toBe(false);
    expect(mineSeen.some((e) => e.entityId === ids.southSite)).toBe(false);
    expect(mineSeen.some((e) => e.entityType === 'dispatch' && e.entityId !== ids.northDispatch)).toBe(false);
    // What is theirs or shared arrives: the northern driver, the shared site, the move, the northern request served.
    expect(mineSeen.some((e) => e.entityId === ids.northDriver)).toBe(true);
    expect(mineSeen.some((e) => e.entityId === shared)).toBe(true);
    expect(mineSeen.some((e) => e.entityId === free && e.type === 'equipment.updated')).toBe(true);
    expect(allSeen.some((e) => e.entityId === free && e.type === 'equipment.updated')).toBe(true);
    await everything.waitForText(`"id":"${ids.northDispatch}"`);
    await mine.waitForText(`"id":"${ids.northDispatch}"`);
    // Every event the northern stream got, the admin's got too, in the same order (a filtered copy).
    const adminIds = everything.messages.map((m) => m.id);
    const mineIds = mine.messages.map((m) => m.id);
    expect(mineIds.filter((id) => !adminIds.includes(id))).toEqual([]);
    expect(mineIds.length).toBeLessThan(adminIds.length);
    mine.close();
    everything.close();
  });
  const heavyOrders: string[] = [];
  it('forecasts qualification trouble per region: a job counts the drivers who may serve its site; the north sees its own', async () => {
    const day = 86_400_000;
    const lift = (await ok(admin, 'POST', '/api/v1/qualifications', { code: 'LIFT', name: 'Heavy lift' })).id as string;
    const heavy = (
      await ok(admin, 'POST', '/api/v1/equipment-types', { code: 'HL', name: 'Heavy lifter', requiredQualificationIds: [lift] })
    ).id as string;
    await ok(admin, 'POST', '/api/v1/equipment', { assetTag: 'HL1', name: 'Shared lifter', equipmentTypeId: heavy });
    const ticket = (expiresInDays: number | null) => [
      { qualificationId: lift, expiresAt: expiresInDays === null ? null : new Date(Date.now() + expiresInDays * day).toISOString() },
    ];
    // Nia's ticket lapses before the northern job; Sid's holds, but Sid is southern: he cannot serve the north.
    await ok(admin, 'POST', '/api/v1/drivers', { name: 'Nia North', region: 'NORTH', dutyStatus: 'off_duty', qualifications: ticket(2) });
    await ok(admin, 'POST', '/api/v1/drivers', { name: 'Sol South', region: 'SOUTH', dutyStatus: 'off_duty', qualifications: ticket(2) });
    await ok(admin, 'POST', '/api/v1/drivers', {
      name: 'Sid South',
      region: 'SOUTH',
      dutyStatus: 'off_duty',
      qualifications: ticket(null),
    });
    const start = new Date(Date.now() + 4 * day).toISOString();
    for (const siteId of [ids.northSite, ids.southSite])
      heavyOrders.push(
        (
          await ok(admin, 'POST', '/api/v1/work-orders', {
            siteId,
            description: 'heavy lift',
            requestedStart: start,
            lines: [{ equipmentTypeId: heavy, quantity: 1 }],
          })
        ).id as string,
      );
    type Forecast = {
      expiries: Array<{ driverName: string }>;
      problems: Array<{ typeCode: string; qualifiedOnShift: number; message: string }>;
    };
    const asAdmin = (await ok(admin, 'GET', '/api/v1/planning/qualification-forecast?days=7')) as unknown as Forecast;
    // One shortfall: the northern job (Sid does not count there); the southern job has Sid.
    expect(asAdmin.problems.filter((p) => p.typeCode === 'HL')).toEqual([
      expect.objectContaining({
        region: 'NORTH',
        qualifiedOnShift: 0,
        message: expect.stringMatching(/1 HL job in NORTH has 0 qualified drivers on shift: Nia North's LIFT expires on/) as unknown,
      }),
    ]);
    expect(asAdmin.expiries.map((e) => e.driverName)).toEqual(expect.arrayContaining(['Nia North', 'Sol South']));
    const asNorth = await call(north, 'GET', '/api/v1/planning/qualification-forecast?days=7');
    expect(asNorth.statusCode).toBe(200);
    const mine = asNorth.json<Forecast>();
    expect(mine.problems.filter((p) => p.typeCode === 'HL').map((p) => p.qualifiedOnShift)).toEqual([0]);
    expect(mine.expiries.map((e) => e.driverName)).toContain('Nia North');
    for (const secret of ['Sol South', 'Sid South']) expect(asNorth.body).not.toContain(secret);
    const csv = await call(north, 'GET', '/api/v1/planning/qualification-forecast?days=7&format=csv');
    expect(csv.body).toContain('Nia North');
    expect(csv.body).not.toContain('Sol South');
  });
  it("raises a region's qualification shortfall to that region only; a link to another region's work order names nothing", async () => {
    // A second southern job the same day: two jobs, Sid alone may serve them (Sol's ticket lapses first).
    const [northOrder, southOrder] = heavyOrders;
    const southern = await ok(admin, 'GET', `/api/v1/work-orders/${southOrder ?? ''}`);
    await ok(admin, 'POST', '/api/v1/work-orders', {
      siteId: ids.southSite,
      description: 'heavy lift 2',
      requestedStart: southern.requestedStart,
      lines: [{ equipmentTypeId: (southern.lines as Array<{ equipmentTypeId: string }>)[0]?.equipmentTypeId ?? '', quantity: 1 }],
    });
    await withTenant(database.db, tenant.slug, (tx) => evaluateAlerts(tx));
    type Alert = { kind: string; message: string };
    const shortfalls = (items: unknown) => (items as Alert[]).filter((a) => a.kind === 'qualification_shortfall').map((a) => a.message);
    const all = shortfalls((await ok(admin, 'GET', '/api/v1/alerts')).items);
    expect(all).toEqual(expect.arrayContaining([expect.stringContaining('HL job in NORTH'), expect.stringContaining('HL jobs in SOUTH')]));
    const response = await call(north, 'GET', '/api/v1/alerts');
    expect(shortfalls(response.json<{ items: unknown }>().items)).toEqual([expect.stringContaining('HL job in NORTH')]);
    for (const secret of ['Sol South', 'Sid South', 'SOUTH']) expect(response.body).not.toContain(secret);

    // Linked across regions: the northern dispatcher's list of related work orders is empty.
    await ok(admin, 'PUT', `/api/v1/work-orders/${northOrder ?? ''}/related/${southOrder ?? ''}`);
    expect(((await ok(admin, 'GET', `/api/v1/work-orders/${northOrder ?? ''}/related`)).items as unknown[]).length).toBe(1);
    const related = await call(north, 'GET', `/api/v1/work-orders/${northOrder ?? ''}/related`);
    expect(related.statusCode).toBe(200);
    expect(related.json<{ items: unknown[] }>().items).toEqual([]);
  });
});
