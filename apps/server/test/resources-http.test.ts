import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import type { TestIdentity } from './support/identity.js';

describe(`resources over HTTP on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let slug: string;
  let otherSlug: string;
  let admin: string;
  let dispatcher: string;
  let viewer: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    slug = (await createTestTenant(database, 'res')).slug;
    otherSlug = (await createTestTenant(database, 'oth')).slug;
    admin = await identity.token({ roles: ['admin'], tenant: slug });
    dispatcher = await identity.token({ roles: ['dispatcher'], tenant: slug });
    viewer = await identity.token({ roles: ['viewer'], tenant: slug });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  const send = (
    token: string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  it('creates, reads, updates with If-Match and archives a qualification', async () => {
    const created = await send(dispatcher, 'POST', '/api/v1/qualifications', { code: 'CDL-A', name: 'Commercial licence A' });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const { id } = created.json<{ id: string }>();
    expect((await send(viewer, 'GET', `/api/v1/qualifications/${id}`)).json()).toMatchObject({ code: 'CDL-A', archived: false });
    const noMatch = await send(dispatcher, 'PATCH', `/api/v1/qualifications/${id}`, { name: 'x' });
    expect(noMatch.statusCode).toBe(428);
    const updated = await send(dispatcher, 'PATCH', `/api/v1/qualifications/${id}`, { name: 'CDL class A' }, { 'if-match': '"1"' });
    expect(updated.statusCode).toBe(200);
    expect(updated.headers.etag).toBe('"2"');
    const stale = await send(dispatcher, 'PATCH', `/api/v1/qualifications/${id}`, { name: 'lost update' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ type: '/problems/stale-version' });
    expect((await send(viewer, 'GET', `/api/v1/qualifications/${id}`)).json()).toMatchObject({ name: 'CDL class A' });
    const archived = await send(admin, 'DELETE', `/api/v1/qualifications/${id}`, undefined, { 'if-match': '"2"' });
    expect(archived.json()).toMatchObject({ archived: true });
  });

  it('answers a duplicate code with 409 naming the field', async () => {
    await send(dispatcher, 'POST', '/api/v1/qualifications', { code: 'HAZMAT', name: 'Hazardous materials' });
    const dup = await send(dispatcher, 'POST', '/api/v1/qualifications', { code: 'hazmat', name: 'Again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ errors: [{ field: 'code' }] });
  });

  it('validates every field and writes nothing on bad input', async () => {
    const before = (await send(viewer, 'GET', '/api/v1/equipment?limit=500')).json<{ items: unknown[] }>().items.length;
    const bad = await send(dispatcher, 'POST', '/api/v1/equipment', {
      assetTag: ' ',
      name: '',
      equipmentTypeId: 'not-a-uuid',
      home: { lat: 91, lng: -200 },
      colour: 'red',
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['assetTag', 'name', 'equipmentTypeId', 'home.lat', 'home.lng']));
    const driver = await send(dispatcher, 'POST', '/api/v1/drivers', {
      name: 'A',
      email: 'nope',
      dutyStatus: 'asleep',
      qualifications: [{ qualificationId: 'x', expiresAt: 'tomorrow' }],
    });
    expect(driver.statusCode).toBe(400);
    expect(driver.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['email', 'dutyStatus', 'qualifications.0.qualificationId', 'qualifications.0.expiresAt']),
    );
    expect((await send(viewer, 'GET', '/api/v1/equipment?limit=500')).json<{ items: unknown[] }>().items.length).toBe(before);
  });

  it('refuses an unknown reference with 422 and a malformed cursor with 400', async () => {
    const res = await send(dispatcher, 'POST', '/api/v1/equipment', {
      assetTag: 'X-1',
      name: 'X',
      equipmentTypeId: '00000000-0000-4000-8000-000000000000',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ errors: [{ field: 'equipmentTypeId' }] });
    expect((await send(viewer, 'GET', '/api/v1/sites?cursor=garbage')).statusCode).toBe(400);
  });

  it('pages with a stable keyset cursor while rows are inserted', async () => {
    for (let i = 0; i < 25; i++)
      await send(dispatcher, 'POST', '/api/v1/sites', { name: `Site ${String(i).padStart(2, '0')}`, address: `${i} Road` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const page: { items: Array<{ name: string }>; nextCursor: string | null } = (
        await send(viewer, 'GET', `/api/v1/sites?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...page.items.map((s) => s.name));
      // A row sorting before the cursor appears meanwhile: it must not shift the pages.
      await send(dispatcher, 'POST', '/api/v1/sites', { name: `AAA inserted ${round++}`, address: 'x' });
      cursor = page.nextCursor;
    } while (cursor);
    const expected = Array.from({ length: 25 }, (_, i) => `Site ${String(i).padStart(2, '0')}`);
    expect(seen.filter((n) => n.startsWith('Site '))).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses writes to viewers (403) and hides another tenant’s rows (404)', async () => {
    const site = (await send(dispatcher, 'POST', '/api/v1/sites', { name: 'Mine', address: '1 Way' })).json<{ id: string }>();
    expect((await send(viewer, 'POST', '/api/v1/sites', { name: 'No', address: 'x' })).statusCode).toBe(403);
    const stranger = await identity.token({ roles: ['admin'], tenant: otherSlug });
    expect((await send(stranger, 'GET', `/api/v1/sites/${site.id}`)).statusCode).toBe(404);
    expect((await send(stranger, 'PATCH', `/api/v1/sites/${site.id}`, { name: 'stolen' }, { 'if-match': '"1"' })).statusCode).toBe(404);
    expect((await send(viewer, 'GET', `/api/v1/sites/${site.id}`)).json()).toMatchObject({ name: 'Mine' });
  });

  it('runs a work order through the board, explain and a driver’s hands over HTTP', async () => {
    const q = (await send(dispatcher, 'POST', '/api/v1/qualifications', { code: 'NCCCO', name: 'Crane operator' })).json<{ id: string }>();
    const type = (
      await send(dispatcher, 'POST', '/api/v1/equipment-types', { code: 'CRANE', name: 'Crane', requiredQualificationIds: [q.id] })
    ).json<{ id: string }>();
    await send(dispatcher, 'POST', '/api/v1/equipment', { assetTag: 'CR-1', name: 'Crane 1', equipmentTypeId: type.id });
    const site = (await send(dispatcher, 'POST', '/api/v1/sites', { name: 'Tower', address: '9 High St' })).json<{ id: string }>();
    const wo = await send(dispatcher, 'POST', '/api/v1/work-orders', {
      siteId: site.id,
      description: 'Lift',
      priority: 'urgent',
      lines: [{ equipmentTypeId: type.id, quantity: 1 }],
    });
    expect(wo.statusCode).toBe(201);
    const dispatchId = wo.json<{ dispatchIds: string[] }>().dispatchIds[0] ?? '';
    const explain = (await send(viewer, 'GET', `/api/v1/dispatches/${dispatchId}/explain`)).json<{
      queuePosition: number;
      blockers: Array<{ kind: string }>;
    }>();
    expect(explain.queuePosition).toBe(1);
    expect(explain.blockers.map((b) => b.kind)).toContain('no_qualified_driver');
    const board = (await send(viewer, 'GET', '/api/v1/board')).json<{ queued: Array<{ id: string; queuePosition: number }> }>();
    expect(board.queued.find((d) => d.id === dispatchId)?.queuePosition).toBe(1);

    const subject = 'driver-subject-http';
    const driver = await send(dispatcher, 'POST', '/api/v1/drivers', {
      name: 'Casey',
      subject,
      dutyStatus: 'on_duty',
      qualifications: [{ qualificationId: q.id }],
    });
    expect(driver.statusCode).toBe(201);
    const driverToken = await identity.token({ roles: ['driver'], tenant: slug, sub: subject });
    const mine = (await send(driverToken, 'GET', '/api/v1/me/dispatches')).json<{
      items: Array<{ id: string; status: string; version: number }>;
    }>();
    expect(mine.items).toMatchObject([{ id: dispatchId, status: 'dispatched' }]);
    const siteOfJob = await send(driverToken, 'GET', `/api/v1/dispatches/${dispatchId}/site`);
    expect(siteOfJob.json()).toMatchObject({ name: 'Tower', address: '9 High St' });
    const otherDriver = await identity.token({ roles: ['driver'], tenant: slug, sub: 'someone-else' });
    expect((await send(otherDriver, 'GET', `/api/v1/dispatches/${dispatchId}/site`)).statusCode).toBe(404);
    let version = mine.items[0]?.version ?? 0;
    for (const status of ['en_route', 'on_site', 'returning', 'completed']) {
      const res = await send(driverToken, 'POST', `/api/v1/dispatches/${dispatchId}/status`, { status }, { 'if-match': `"${version}"` });
      expect(res.statusCode).toBe(200);
      version = res.json<{ version: number }>().version;
    }
    const woId = wo.json<{ id: string }>().id;
    expect((await send(viewer, 'GET', `/api/v1/work-orders/${woId}`)).json()).toMatchObject({ status: 'completed' });
    const edited = await send(dispatcher, 'PATCH', `/api/v1/work-orders/${woId}`, { notes: 'crane mats needed' }, { 'if-match': '"1"' });
    expect(edited.json()).toMatchObject({ notes: 'crane mats needed', version: 2 });
    expect((await send(dispatcher, 'PATCH', `/api/v1/work-orders/${woId}`, { notes: 'lost' }, { 'if-match': '"1"' })).statusCode).toBe(409);
  });
});
