import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A tenant's own OpenID provider at the process boundary (discovery and JWKS on 127.0.0.1). */
async function startForeignIssuer() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'region-byo', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/realms/depots/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
    else if (req.url === '/realms/depots/certs') res.end(JSON.stringify({ keys: [jwk] }));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/realms/depots`;
  return {
    issuer,
    sign: (claims: Json) =>
      new SignJWT({ name: 'Dee Depot', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'region-byo' })
        .setSubject(randomUUID())
        .setIssuer(issuer)
        .setAudience('depots-api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe(`regions (ABAC) on ${testDbKind()}`, () => {
  let database: Database;
  let testApp: TestApp;
  let tenant: TenantRecord;
  let admin: string;
  let north: string; // dispatcher in NORTH (membership)
  let northViewer: string;
  let both: string; // dispatcher in NORTH and SOUTH
  let plain: string; // dispatcher without region attributes: not limited
  const ids = {} as Record<
    'north' | 'south' | 'qual' | 'crane' | 'siteN' | 'siteS' | 'siteShared' | 'eqN' | 'eqS' | 'drvN' | 'drvS',
    string
  >;

  const send = async (token: string, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    testApp.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const ok = async (token: string, method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Json> => {
    const response = await send(token, method, url, payload, headers);
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json<Json>();
  };
  const member = async (roles: string[], regions: string[]): Promise<string> => {
    const sub = randomUUID();
    await ok(admin, 'POST', '/api/v1/users', { subject: sub, roles, regions, name: `${roles.join('+')} ${regions.join('+')}` });
    return testApp.identity.token({ roles: roles as never, tenant: tenant.slug, sub });
  };
  const idsOf = (page: Json): string[] => (page.items as Array<{ id: string }>).map((i) => i.id);
  const dispatchOf = async (workOrderId: string, index = 0): Promise<Json> => {
    const wo = await ok(admin, 'GET', `/api/v1/work-orders/${workOrderId}`);
    return ok(admin, 'GET', `/api/v1/dispatches/${(wo.dispatchIds as string[])[index] ?? ''}`);
  };
  /** Matching after a capacity change runs in its own transaction after the change commits. */
  const eventually = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const driver = async (name: string, region: string | null, extra: Json = {}) =>
    (
      await ok(admin, 'POST', '/api/v1/drivers', {
        name,
        region,
        dutyStatus: 'on_duty',
        qualifications: [{ qualificationId: ids.qual }],
        ...extra,
      })
    ).id as string;
  const equipment = async (assetTag: string, typeId: string, region: string | null) =>
    (await ok(admin, 'POST', '/api/v1/equipment', { assetTag, name: assetTag, equipmentTypeId: typeId, region })).id as string;
  const workOrder = async (token: string, siteId: string, typeId: string, quantity = 1) =>
    send(token, 'POST', '/api/v1/work-orders', { siteId, description: 'lift', lines: [{ equipmentTypeId: typeId, quantity }] });

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'rgn');
    testApp = await createTestApp(database);
    admin = await testApp.identity.token({ roles: ['admin'], tenant: tenant.slug });
    ids.north = (await ok(admin, 'POST', '/api/v1/regions', { code: 'NORTH', name: 'North depot' })).id as string;
    ids.south = (await ok(admin, 'POST', '/api/v1/regions', { code: 'SOUTH', name: 'South depot' })).id as string;
    north = await member(['dispatcher'], ['NORTH']);
    northViewer = await member(['viewer'], ['NORTH']);
    both = await member(['dispatcher'], ['NORTH', 'SOUTH']);
    plain = await testApp.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    ids.qual = (await ok(admin, 'POST', '/api/v1/qualifications', { code: 'CPCS', name: 'Crane ticket' })).id as string;
    ids.crane = (await ok(admin, 'POST', '/api/v1/equipment-types', { code: 'CRANE', name: 'Crane', requiredQualificationIds: [ids.qual] }))
      .id as string;
    ids.siteN = (await ok(admin, 'POST', '/api/v1/sites', { name: 'North yard', address: '1 North Rd', region: 'NORTH' })).id as string;
    ids.siteS = (await ok(admin, 'POST', '/api/v1/sites', { name: 'South yard', address: '1 South Rd', region: 'SOUTH' })).id as string;
    ids.siteShared = (await ok(admin, 'POST', '/api/v1/sites', { name: 'Head office', address: '1 Main St' })).id as string;
    ids.eqN = await equipment('CR-N1', ids.crane, 'NORTH');
    ids.eqS = await equipment('CR-S1', ids.crane, 'SOUTH');
    ids.drvN = await driver('Nora North', 'NORTH');
    ids.drvS = await driver('Sam South', 'SOUTH');
  });
  afterAll(async () => {
    await testApp.app.close();
    await database.close();
  });

  it('keeps regions as tenant data: admins manage them, codes are unique, a region in use cannot be deleted', async () => {
    const list = await ok(north, 'GET', '/api/v1/regions');
    expect((list.items as Json[]).map((r) => r.code)).toEqual(['NORTH', 'SOUTH']);
    expect((await send(north, 'POST', '/api/v1/regions', { code: 'EAST', name: 'East' })).statusCode).toBe(403);
    const dup = await send(admin, 'POST', '/api/v1/regions', { code: 'NORTH', name: 'Again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ errors: [{ field: 'code' }] });
    const bad = await send(admin, 'POST', '/api/v1/regions', { code: 'no spaces', name: 'x' });
    expect(bad.statusCode).toBe(400);
    const renamed = await send(admin, 'PATCH', `/api/v1/regions/${ids.north}`, { name: 'North depot (Leeds)' }, { 'if-match': '"1"' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ code: 'NORTH', name: 'North depot (Leeds)', version: 2 });
    expect((await send(admin, 'PATCH', `/api/v1/regions/${ids.north}`, { code: 'N' }, { 'if-match': '"2"' })).statusCode).toBe(400);
    const inUse = await send(admin, 'DELETE', `/api/v1/regions/${ids.south}`, undefined, { 'if-match': '"1"' });
    expect(inUse.statusCode, inUse.body).toBe(409);
    expect((await ok(admin, 'GET', `/api/v1/regions/${ids.south}`)).code).toBe('SOUTH');
    const east = await ok(admin, 'POST', '/api/v1/regions', { code: 'EAST', name: 'East' });
    expect((await send(admin, 'DELETE', `/api/v1/regions/${east.id as string}`, undefined, { 'if-match': '"1"' })).statusCode).toBe(200);
    expect((await send(admin, 'GET', `/api/v1/regions/${east.id as string}`)).statusCode).toBe(404);
  });

  it('refuses a region that does not exist in the tenant with 422 naming the field, and changes nothing', async () => {
    const cases: Array<[Method, string, Json, string]> = [
      ['POST', '/api/v1/equipment', { assetTag: 'CR-W1', name: 'x', equipmentTypeId: ids.crane, region: 'WEST' }, 'region'],
      ['POST', '/api/v1/drivers', { name: 'Wes West', region: 'WEST' }, 'region'],
      ['POST', '/api/v1/sites', { name: 'West yard', address: '1 West Rd', region: 'WEST' }, 'region'],
      ['POST', '/api/v1/users', { subject: randomUUID(), roles: ['dispatcher'], regions: ['NORTH', 'WEST'] }, 'regions'],
    ];
    for (const [method, url, body, field] of cases) {
      const response = await send(admin, method, url, body);
      expect(response.statusCode, url).toBe(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json(), url).toMatchObject({ status: 422, errors: [{ field }] });
      expect(response.json<{ detail: string }>().detail).toContain('WEST');
    }
    const patched = await send(admin, 'PATCH', `/api/v1/equipment/${ids.eqN}`, { region: 'WEST' }, { 'if-match': '"1"' });
    expect(patched.statusCode).toBe(422);
    expect((await ok(admin, 'GET', `/api/v1/equipment/${ids.eqN}`)).region).toBe('NORTH');
    const equipment = await ok(admin, 'GET', '/api/v1/equipment?q=CR-W1');
    expect(equipment.items).toEqual([]);
  });

  it('tells people their regions: from their membership; admins and people without regions are not limited', async () => {
    expect((await ok(north, 'GET', '/api/v1/me')).regions).toEqual(['NORTH']);
    expect((await ok(both, 'GET', '/api/v1/me')).regions).toEqual(['NORTH', 'SOUTH']);
    expect((await ok(plain, 'GET', '/api/v1/me')).regions).toBeNull();
    const regionalAdmin = await member(['admin'], ['NORTH']);
    expect((await ok(regionalAdmin, 'GET', '/api/v1/me')).regions).toBeNull();
    expect(idsOf(await ok(regionalAdmin, 'GET', '/api/v1/equipment'))).toEqual(expect.arrayContaining([ids.eqN, ids.eqS]));
  });

  it('shows a dispatcher and a viewer only their regions and shared resources; reads elsewhere answer 404', async () => {
    const sharedEq = await equipment('CR-X1', ids.crane, null);
    for (const token of [north, northViewer]) {
      const equipmentIds = idsOf(await ok(token, 'GET', '/api/v1/equipment'));
      expect(equipmentIds).toEqual(expect.arrayContaining([ids.eqN, sharedEq]));
      expect(equipmentIds).not.toContain(ids.eqS);
      const driverIds = idsOf(await ok(token, 'GET', '/api/v1/drivers'));
      expect(driverIds).toContain(ids.drvN);
      expect(driverIds).not.toContain(ids.drvS);
      const siteIds = idsOf(await ok(token, 'GET', '/api/v1/sites'));
      expect(siteIds).toEqual(expect.arrayContaining([ids.siteN, ids.siteShared]));
      expect(siteIds).not.toContain(ids.siteS);
      // A region filter cannot widen the scope.
      expect(idsOf(await ok(token, 'GET', '/api/v1/equipment?region=SOUTH'))).toEqual([]);
      for (const url of [`/api/v1/equipment/${ids.eqS}`, `/api/v1/drivers/${ids.drvS}`, `/api/v1/sites/${ids.siteS}`]) {
        const hidden = await send(token, 'GET', url);
        expect(hidden.statusCode, url).toBe(404);
        expect(hidden.json<{ detail: string }>().detail).toContain('does not exist');
      }
    }
    expect(idsOf(await ok(admin, 'GET', '/api/v1/equipment?region=SOUTH'))).toEqual([ids.eqS]);
    expect(idsOf(await ok(both, 'GET', '/api/v1/equipment'))).toEqual(expect.arrayContaining([ids.eqN, ids.eqS, sharedEq]));
    expect(idsOf(await ok(plain, 'GET', '/api/v1/drivers'))).toEqual(expect.arrayContaining([ids.drvN, ids.drvS]));
    expect((await ok(north, 'GET', `/api/v1/equipment/${ids.eqN}`)).region).toBe('NORTH');
    const csv = (await send(north, 'GET', '/api/v1/exports/equipment')).body;
    expect(csv).toContain('CR-N1');
    expect(csv).not.toContain('CR-S1');
    // The audit trail is one chain over every region: refused to region-limited people, not partly hidden.
    expect((await send(northViewer, 'GET', '/api/v1/audit')).statusCode).toBe(403);
    expect((await send(northViewer, 'GET', '/api/v1/audit/export')).statusCode).toBe(403);
    expect((await send(await member(['viewer'], []), 'GET', '/api/v1/audit')).statusCode).toBe(200);
    // One entity's history is readable where the entity is: 404 outside the scope, as the entity.
    expect((await send(northViewer, 'GET', `/api/v1/audit/entities/equipment/${ids.eqN}/history`)).statusCode).toBe(200);
    expect((await send(northViewer, 'GET', `/api/v1/audit/entities/equipment/${ids.eqS}/history`)).statusCode).toBe(404);
    // Dispatchers read work orders' and dispatches' histories only.
    expect((await send(north, 'GET', `/api/v1/audit/entities/equipment/${ids.eqN}/history`)).statusCode).toBe(403);
  });

  it("refuses writes outside the dispatcher's regions with 403 and changes nothing; new resources land in their region", async () => {
    const before = await ok(admin, 'GET', `/api/v1/equipment/${ids.eqS}`);
    const refusals: Array<[Method, string, Json | undefined]> = [
      ['PATCH', `/api/v1/equipment/${ids.eqS}`, { name: 'mine now' }],
      ['POST', `/api/v1/equipment/${ids.eqS}/maintenance`, { note: 'dent' }],
      ['PATCH', `/api/v1/drivers/${ids.drvS}`, { name: 'Sam' }],
      ['POST', `/api/v1/drivers/${ids.drvS}/duty`, { dutyStatus: 'off_duty' }],
      ['PATCH', `/api/v1/sites/${ids.siteS}`, { name: 'x' }],
      ['DELETE', `/api/v1/sites/${ids.siteS}`, undefined],
      // Moving one of my machines to another region, or making it shared, is also refused.
      ['PATCH', `/api/v1/equipment/${ids.eqN}`, { region: 'SOUTH' }],
      ['PATCH', `/api/v1/equipment/${ids.eqN}`, { region: null }],
      ['POST', '/api/v1/equipment', { assetTag: 'CR-S9', name: 'x', equipmentTypeId: ids.crane, region: 'SOUTH' }],
      ['POST', '/api/v1/sites', { name: 'Anywhere', address: 'x', region: null }],
    ];
    for (const [method, url, body] of refusals) {
      const version = url.includes(ids.eqN) ? (await ok(admin, 'GET', url)).version : 1;
      const response = await send(north, method, url, body, { 'if-match': `"${String(version)}"` });
      expect(response.statusCode, `${method} ${url} ${JSON.stringify(body)}`).toBe(403);
      expect(response.json()).toMatchObject({ type: '/problems/forbidden', status: 403 });
    }
    expect(await ok(admin, 'GET', `/api/v1/equipment/${ids.eqS}`)).toEqual(before);
    expect((await ok(admin, 'GET', `/api/v1/equipment/${ids.eqN}`)).region).toBe('NORTH');
    expect((await ok(admin, 'GET', `/api/v1/drivers/${ids.drvS}`)).dutyStatus).toBe('on_duty');
    // Without a region, a one-region dispatcher's new site is in their region; a two-region one must say which.
    expect((await ok(north, 'POST', '/api/v1/sites', { name: 'North annexe', address: '2 North Rd' })).region).toBe('NORTH');
    expect((await send(both, 'POST', '/api/v1/sites', { name: 'Somewhere', address: 'x' })).statusCode).toBe(403);
    expect((await ok(both, 'POST', '/api/v1/sites', { name: 'South annexe', address: '2 South Rd', region: 'SOUTH' })).region).toBe(
      'SOUTH',
    );
    // Within their regions they work as before.
    const mine = await ok(north, 'GET', `/api/v1/drivers/${ids.drvN}`);
    expect(
      (await send(north, 'PATCH', `/api/v1/drivers/${ids.drvN}`, { phone: '+44 1 2345' }, { 'if-match': `"${String(mine.version)}"` }))
        .statusCode,
    ).toBe(200);
  });

  it("scopes work orders, dispatches, the board, reports and manual assignment by the site's region", async () => {
    const south = await workOrder(admin, ids.siteS, ids.crane);
    expect(south.statusCode).toBe(201);
    const southWo = south.json<{ id: string; number: string }>();
    const southDispatch = await dispatchOf(southWo.id);
    // Matched inside its region: the south crane and the south driver.
    expect(southDispatch).toMatchObject({ status: 'dispatched', equipmentId: ids.eqS, driverId: ids.drvS });
    const northWo = (await workOrder(north, ids.siteN, ids.crane)).json<{ id: string }>();
    const northDispatch = await dispatchOf(northWo.id);
    expect(northDispatch).toMatchObject({ status: 'dispatched', equipmentId: ids.eqN, driverId: ids.drvN });

    // Reads: hidden (404) and absent from lists and the board.
    for (const url of [
      `/api/v1/work-orders/${southWo.id}`,
      `/api/v1/dispatches/${southDispatch.id as string}`,
      `/api/v1/dispatches/${southDispatch.id as string}/site`,
      `/api/v1/work-orders/${southWo.id}/attachments`,
      `/api/v1/work-orders/${southWo.id}/related`,
    ]) {
      expect((await send(northViewer, 'GET', url)).statusCode, url).toBe(404);
    }
    expect(idsOf(await ok(north, 'GET', '/api/v1/work-orders'))).toEqual([northWo.id]);
    expect(idsOf(await ok(northViewer, 'GET', '/api/v1/dispatches'))).toEqual([northDispatch.id]);
    const board = await ok(north, 'GET', '/api/v1/board');
    expect((board.active as Json[]).map((d) => d.id)).toEqual([northDispatch.id]);
    const adminBoard = await ok(admin, 'GET', '/api/v1/board');
    expect((adminBoard.active as Json[]).map((d) => d.id)).toEqual(expect.arrayContaining([northDispatch.id, southDispatch.id]));

    // Writes: refused (403), nothing changes.
    const recall = await send(
      north,
      'POST',
      `/api/v1/dispatches/${southDispatch.id as string}/recall`,
      { reason: 'wrong depot' },
      { 'if-match': `"${String(southDispatch.version)}"` },
    );
    expect(recall.statusCode).toBe(403);
    expect((await send(north, 'PATCH', `/api/v1/work-orders/${southWo.id}`, { description: 'x' }, { 'if-match': '"1"' })).statusCode).toBe(
      403,
    );
    expect((await send(north, 'PUT', `/api/v1/work-orders/${southWo.id}/related/${northWo.id}`)).statusCode).toBe(403);
    expect((await workOrder(north, ids.siteS, ids.crane)).statusCode).toBe(403);
    expect((await dispatchOf(southWo.id)).status).toBe('dispatched');

    // Reports follow their site: recall the south job as admin (the queue then waits for a manual
    // pick), the report is hidden from the north.
    await ok(admin, 'PATCH', '/api/v1/settings/dispatch', { autoProcessing: false });
    await ok(
      admin,
      'POST',
      `/api/v1/dispatches/${southDispatch.id as string}/recall`,
      { reason: 'weather' },
      { 'if-match': `"${String(southDispatch.version)}"` },
    );
    const reports = await ok(admin, 'GET', `/api/v1/reports?workOrderId=${southWo.id}`);
    const reportId = (reports.items as Json[])[0]?.id as string;
    expect(reportId).toBeDefined();
    expect((await ok(northViewer, 'GET', `/api/v1/reports?workOrderId=${southWo.id}`)).items).toEqual([]);
    expect((await send(northViewer, 'GET', `/api/v1/reports/${reportId}`)).statusCode).toBe(404);
    expect((await send(north, 'POST', `/api/v1/reports/${reportId}/notes`, { body: 'seen' })).statusCode).toBe(403);

    // Manual assignment: the recalled line is queued again; the north dispatcher cannot pick for it,
    // a south dispatcher cannot pick a north machine, a dispatcher of both regions can.
    try {
      const waiting = (await ok(admin, 'GET', `/api/v1/dispatches?workOrderId=${southWo.id}&status=queued`)).items as Json[];
      const queued = waiting[0] as Json;
      const assign = (token: string, equipmentId: string, driverId: string) =>
        send(
          token,
          'POST',
          `/api/v1/dispatches/${queued.id as string}/assign`,
          { equipmentId, driverId },
          { 'if-match': `"${String(queued.version)}"` },
        );
      expect((await assign(north, ids.eqS, ids.drvS)).statusCode).toBe(403);
      const southOnly = await member(['dispatcher'], ['SOUTH']);
      const spareN = await equipment('CR-N2', ids.crane, 'NORTH');
      const refused = await assign(southOnly, spareN, ids.drvS);
      expect(refused.statusCode).toBe(403);
      expect(refused.json<{ detail: string }>().detail).toContain('CR-N2');
      expect((await assign(both, spareN, ids.drvS)).statusCode).toBe(200);
    } finally {
      await ok(admin, 'PATCH', '/api/v1/settings/dispatch', { autoProcessing: true });
    }
  });

  it("keeps automatic matching inside the site's region; shared resources serve every region; one region's queue never stalls another's", async () => {
    const type = (await ok(admin, 'POST', '/api/v1/equipment-types', { code: 'PUMP', name: 'Pump', requiredQualificationIds: [ids.qual] }))
      .id as string;
    const pumpS = await equipment('PU-S1', type, 'SOUTH');
    await ok(admin, 'POST', `/api/v1/equipment/${pumpS}/maintenance`, { note: 'service' });
    const pumpDriverS = await driver('Sue South', 'SOUTH');
    await driver('Ned North', 'NORTH');
    // Two north requests first, then a south one; the only pump is in the south, in maintenance.
    const n1 = (await workOrder(admin, ids.siteN, type)).json<{ id: string }>();
    const n2 = (await workOrder(admin, ids.siteN, type)).json<{ id: string }>();
    const s1 = (await workOrder(admin, ids.siteS, type)).json<{ id: string }>();
    for (const wo of [n1, n2, s1]) expect((await dispatchOf(wo.id)).status).toBe('queued');
    await ok(admin, 'POST', `/api/v1/equipment/${pumpS}/return-to-service`, {});
    // The south request gets the south pump at once, although two north requests queued before it.
    await eventually(async () => (await dispatchOf(s1.id)).status === 'dispatched', 'the south request to be served');
    expect(await dispatchOf(s1.id)).toMatchObject({ equipmentId: pumpS, driverId: pumpDriverS });
    expect((await dispatchOf(n1.id)).status).toBe('queued');
    expect((await dispatchOf(n2.id)).status).toBe('queued');
    // A shared pump serves the north.
    const pumpShared = await equipment('PU-X1', type, null);
    await eventually(async () => (await dispatchOf(n1.id)).status === 'dispatched', 'the north request to get the shared pump');
    expect((await dispatchOf(n1.id)).equipmentId).toBe(pumpShared);
    expect((await dispatchOf(n2.id)).status).toBe('queued');
  });

  it('matches across regions only when an admin allows it for the tenant', async () => {
    const type = (await ok(admin, 'POST', '/api/v1/equipment-types', { code: 'GEN', name: 'Generator', requiredQualificationIds: [] }))
      .id as string;
    const genS = await equipment('GE-S1', type, 'SOUTH');
    await driver('Gus South', 'SOUTH', { qualifications: [] });
    await driver('Gina North', 'NORTH', { qualifications: [] });
    const wo = (await workOrder(admin, ids.siteN, type)).json<{ id: string }>();
    expect((await dispatchOf(wo.id)).status).toBe('queued');
    expect(await ok(north, 'GET', '/api/v1/settings/regions')).toEqual({ crossRegionMatching: false });
    expect((await send(north, 'PATCH', '/api/v1/settings/regions', { crossRegionMatching: true })).statusCode).toBe(403);
    expect((await send(admin, 'PATCH', '/api/v1/settings/regions', { crossRegionMatching: 'yes' })).statusCode).toBe(400);
    try {
      expect(await ok(admin, 'PATCH', '/api/v1/settings/regions', { crossRegionMatching: true })).toEqual({ crossRegionMatching: true });
      await eventually(async () => (await dispatchOf(wo.id)).status === 'dispatched', 'matching across regions once allowed');
      const served = await dispatchOf(wo.id);
      expect(served.equipmentId).toBe(genS);
      // Any free driver may go now, from either region.
      expect(served.driverId).toBeTruthy();
    } finally {
      await ok(admin, 'PATCH', '/api/v1/settings/regions', { crossRegionMatching: false });
    }
  });

  it("takes people's regions from their own provider's region claim (configurable name)", async () => {
    const foreign = await startForeignIssuer();
    try {
      const registered = await send(admin, 'POST', '/api/v1/identity-providers', {
        issuer: foreign.issuer,
        audience: 'depots-api',
        regionClaim: 'depot',
      });
      expect(registered.statusCode).toBe(201);
      expect(registered.json()).toMatchObject({ regionClaim: 'depot' });
      const token = await foreign.sign({ roles: ['dispatcher'], depot: 'SOUTH' });
      expect((await ok(token, 'GET', '/api/v1/me')).regions).toEqual(['SOUTH']);
      const seen = idsOf(await ok(token, 'GET', '/api/v1/equipment'));
      expect(seen).toContain(ids.eqS);
      expect(seen).not.toContain(ids.eqN);
      expect((await send(token, 'GET', `/api/v1/drivers/${ids.drvN}`)).statusCode).toBe(404);
      // Several regions as an array; the default claim name `region` is not read when another is configured.
      const several = await foreign.sign({ roles: ['dispatcher'], depot: ['NORTH', 'SOUTH'], region: 'NORTH' });
      expect((await ok(several, 'GET', '/api/v1/me')).regions).toEqual(['NORTH', 'SOUTH']);
    } finally {
      await foreign.stop();
    }
  });
});
