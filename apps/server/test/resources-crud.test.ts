import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markEquipmentDispatched } from '../src/modules/fleet/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import type { TestIdentity } from './support/identity.js';

type Page<T> = { items: T[]; nextCursor: string | null };
type Problem = { type: string; errors?: Array<{ field: string; message: string }> };
type Row = { id: string; version: number };

describe(`resources: fields, sorting, filters, dispatcher actions and isolation on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let slug: string;
  let otherSlug: string;
  let admin: string;
  let dispatcher: string;
  let viewer: string;
  let driverRole: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    slug = (await createTestTenant(database, 'crud')).slug;
    otherSlug = (await createTestTenant(database, 'crudx')).slug;
    admin = await identity.token({ roles: ['admin'], tenant: slug });
    dispatcher = await identity.token({ roles: ['dispatcher'], tenant: slug });
    viewer = await identity.token({ roles: ['viewer'], tenant: slug });
    driverRole = await identity.token({ roles: ['driver'], tenant: slug, sub: 'nobody-linked' });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  const send = (
    token: string,
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
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
  const fieldsOf = (body: unknown) => ((body as Problem).errors ?? []).map((e) => e.field);
  const create = async <T = Row>(url: string, payload: unknown, token = admin): Promise<T> => {
    const res = await send(token, 'POST', url, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<T>();
  };
  const auditActions = async (entityId: string) =>
    (await send(admin, 'GET', `/api/v1/audit?entityId=${entityId}&order=asc&limit=100`))
      .json<Page<{ action: string }>>()
      .items.map((e) => e.action);

  async function fleet(prefix: string) {
    const q = await create(`/api/v1/qualifications`, { code: `${prefix}-Q`, name: `${prefix} ticket` });
    const type = await create(`/api/v1/equipment-types`, { code: `${prefix}-T`, name: `${prefix} type`, requiredQualificationIds: [q.id] });
    return { q, type };
  }

  it('validates every field of every resource (lengths, enums, dates, coordinates, references) with 400 and field names', async () => {
    const long = (n: number) => 'x'.repeat(n);
    const cases: Array<[string, unknown, string[]]> = [
      ['/api/v1/qualifications', { code: '-bad', name: long(201), description: long(2001) }, ['code', 'name', 'description']],
      ['/api/v1/qualifications', { code: 'OK', name: 'ok', extra: 1 }, ['body']],
      [
        '/api/v1/equipment-types',
        { code: 'a b', name: '', requiredQualificationIds: ['nope'] },
        ['code', 'name', 'requiredQualificationIds.0'],
      ],
      [
        '/api/v1/equipment',
        { assetTag: long(41), name: long(201), equipmentTypeId: 'x', position: { lat: -91, lng: 181 } },
        ['assetTag', 'name', 'equipmentTypeId', 'position.lat', 'position.lng'],
      ],
      [
        '/api/v1/equipment',
        { assetTag: 'A', name: 'A', equipmentTypeId: '00000000-0000-4000-8000-000000000000', home: { lat: 'north', lng: 2 } },
        ['home.lat'],
      ],
      [
        '/api/v1/drivers',
        {
          name: long(201),
          employeeNo: long(51),
          phone: 'call me',
          email: 'a@',
          subject: long(256),
          dutyStatus: 'sick',
          position: { lat: 100, lng: 0 },
          qualifications: [{ qualificationId: '00000000-0000-4000-8000-000000000000', expiresAt: '2030-01-01' }],
        },
        ['name', 'employeeNo', 'phone', 'email', 'subject', 'dutyStatus', 'position.lat', 'qualifications.0.expiresAt'],
      ],
      [
        '/api/v1/sites',
        { name: '', address: long(501), position: { lat: 0 }, contactName: long(201), contactPhone: 'abc', notes: long(5001) },
        ['name', 'address', 'position.lng', 'contactName', 'contactPhone', 'notes'],
      ],
    ];
    for (const [url, payload, fields] of cases) {
      const res = await send(admin, 'POST', url, payload);
      expect(res.statusCode, `${url} ${res.body}`).toBe(400);
      expect(fieldsOf(res.json()), url).toEqual(expect.arrayContaining(fields));
    }
    for (const query of ['limit=0', 'limit=501', 'sort=colour', 'status=lost', 'equipmentTypeId=x', 'includeArchived=maybe']) {
      expect((await send(viewer, 'GET', `/api/v1/equipment?${query}`)).statusCode, query).toBe(400);
    }
    for (const query of ['dutyStatus=asleep', 'expiringWithinDays=-1', 'expiringWithinDays=soon', 'qualificationId=1', 'sort=-phone']) {
      expect((await send(viewer, 'GET', `/api/v1/drivers?${query}`)).statusCode, query).toBe(400);
    }
    // Nothing was written by any of the refused requests.
    for (const url of ['/api/v1/qualifications', '/api/v1/equipment-types', '/api/v1/equipment', '/api/v1/drivers', '/api/v1/sites']) {
      expect((await send(viewer, 'GET', `${url}?includeArchived=true`)).json<Page<unknown>>().items, url).toEqual([]);
    }
  });

  it('round-trips every resource, with ETags, 428 without If-Match, 409 when stale, and archive instead of delete', async () => {
    const { q, type } = await fleet('RT');
    const equipment = await create('/api/v1/equipment', {
      assetTag: 'RT-1',
      name: 'Roller',
      equipmentTypeId: type.id,
      home: { lat: 53.4, lng: -2.2 },
    });
    expect(equipment).toMatchObject({
      status: 'available',
      home: { lat: 53.4, lng: -2.2 },
      position: { lat: 53.4, lng: -2.2 },
      version: 1,
    });
    const driver = await create('/api/v1/drivers', {
      name: 'Rita',
      employeeNo: 'RT-7',
      phone: '+44 161 000 0000',
      email: 'rita@example.test',
      qualifications: [{ qualificationId: q.id, expiresAt: '2031-03-01T00:00:00Z' }],
    });
    expect(driver).toMatchObject({
      dutyStatus: 'off_duty',
      qualifications: [{ code: 'RT-Q', expiresAt: '2031-03-01T00:00:00.000Z', expired: false }],
    });
    const site = await create('/api/v1/sites', {
      name: 'Round trip yard',
      address: '1 Loop Rd, Manchester M1 1AA',
      position: { lat: 53.47, lng: -2.23 },
      contactName: 'Gate',
      contactPhone: '0161 000 1111',
    });

    const resources: Array<[string, Row, Record<string, unknown>]> = [
      [`/api/v1/qualifications/${q.id}`, q, { name: 'renamed ticket' }],
      [`/api/v1/equipment-types/${type.id}`, type, { name: 'renamed type', requiredQualificationIds: [] }],
      [`/api/v1/equipment/${equipment.id}`, equipment, { name: 'Big roller', position: { lat: 53.5, lng: -2.3 } }],
      [`/api/v1/drivers/${driver.id}`, driver, { phone: '+44 7700 900000', position: { lat: 53.49, lng: -2.25 } }],
      [`/api/v1/sites/${site.id}`, site, { notes: 'gate code 1234' }],
    ];
    for (const [url, row, patch] of resources) {
      const read = await send(viewer, 'GET', url);
      expect(read.statusCode, url).toBe(200);
      expect(read.headers.etag, url).toBe(`"${row.version}"`);
      expect((await send(dispatcher, 'PATCH', url, patch)).statusCode, url).toBe(428);
      const updated = await send(dispatcher, 'PATCH', url, patch, { 'if-match': `"${row.version}"` });
      expect(updated.statusCode, `${url} ${updated.body}`).toBe(200);
      expect(updated.headers.etag, url).toBe(`"${row.version + 1}"`);
      expect(updated.json(), url).toMatchObject(patch);
      const stale = await send(dispatcher, 'PATCH', url, patch, { 'if-match': `"${row.version}"` });
      expect(stale.statusCode, url).toBe(409);
      expect(stale.json(), url).toMatchObject({ type: '/problems/stale-version' });
    }
    // Archive: qualifications, types and drivers get archived_at; sites go inactive; equipment retires.
    expect((await send(admin, 'DELETE', `/api/v1/drivers/${driver.id}`, undefined, { 'if-match': '"1"' })).statusCode).toBe(409);
    expect((await send(admin, 'DELETE', `/api/v1/drivers/${driver.id}`, undefined, { 'if-match': '"2"' })).json()).toMatchObject({
      archived: true,
      dutyStatus: 'off_duty',
    });
    expect((await send(dispatcher, 'DELETE', `/api/v1/sites/${site.id}`, undefined, { 'if-match': '"2"' })).json()).toMatchObject({
      active: false,
    });
    expect((await send(admin, 'DELETE', `/api/v1/equipment/${equipment.id}`, undefined, { 'if-match': '"2"' })).json()).toMatchObject({
      status: 'retired',
      version: 3,
    });
    expect((await send(admin, 'DELETE', `/api/v1/equipment-types/${type.id}`, undefined, { 'if-match': '"2"' })).json()).toMatchObject({
      archived: true,
    });
    // Archived rows stay readable by id, leave the default lists and come back with includeArchived.
    expect((await send(viewer, 'GET', `/api/v1/drivers/${driver.id}`)).json()).toMatchObject({ name: 'Rita', archived: true });
    expect((await send(viewer, 'GET', '/api/v1/sites?q=Round')).json<Page<unknown>>().items).toEqual([]);
    expect((await send(viewer, 'GET', '/api/v1/sites?q=Round&includeArchived=true')).json<Page<unknown>>().items).toHaveLength(1);
    expect((await send(viewer, 'GET', '/api/v1/equipment?q=RT-1')).json<Page<unknown>>().items).toEqual([]);
    expect((await send(viewer, 'GET', '/api/v1/equipment?status=retired')).json<Page<{ id: string }>>().items.map((e) => e.id)).toEqual([
      equipment.id,
    ]);
    expect(await auditActions(site.id)).toEqual(['site.created', 'site.updated', 'site.archived']);
    expect(await auditActions(equipment.id)).toEqual(['equipment.created', 'equipment.updated', 'equipment.retired']);
  });

  it('answers duplicate codes, asset tags, employee numbers and identity links with 409 naming the field', async () => {
    const { type } = await fleet('DUP');
    await create('/api/v1/equipment', { assetTag: 'DUP-1', name: 'One', equipmentTypeId: type.id });
    const cases: Array<[string, unknown, string]> = [
      ['/api/v1/qualifications', { code: 'dup-q', name: 'again' }, 'code'],
      ['/api/v1/equipment-types', { code: 'Dup-T', name: 'again' }, 'code'],
      ['/api/v1/equipment', { assetTag: 'dup-1', name: 'again', equipmentTypeId: type.id }, 'assetTag'],
    ];
    await create('/api/v1/drivers', { name: 'First', employeeNo: 'E-DUP', subject: 'subject-dup' });
    cases.push(
      ['/api/v1/drivers', { name: 'Second', employeeNo: 'e-dup' }, 'employeeNo'],
      ['/api/v1/drivers', { name: 'Third', subject: 'subject-dup' }, 'subject'],
    );
    for (const [url, payload, field] of cases) {
      const res = await send(dispatcher, 'POST', url, payload);
      expect(res.statusCode, url).toBe(409);
      expect(fieldsOf(res.json()), url).toEqual([field]);
    }
    // Updating into a taken code is the same 409.
    const other = await create('/api/v1/equipment', { assetTag: 'DUP-2', name: 'Two', equipmentTypeId: type.id });
    const clash = await send(dispatcher, 'PATCH', `/api/v1/equipment/${other.id}`, { assetTag: 'DUP-1' }, { 'if-match': '"1"' });
    expect(clash.statusCode).toBe(409);
    expect(fieldsOf(clash.json())).toEqual(['assetTag']);
    // Unknown or duplicate references are 422, not 500.
    const unknownQ = await send(dispatcher, 'POST', '/api/v1/equipment-types', {
      code: 'NEWT',
      name: 'x',
      requiredQualificationIds: ['00000000-0000-4000-8000-000000000001'],
    });
    expect(unknownQ.statusCode).toBe(422);
    expect(fieldsOf(unknownQ.json())).toEqual(['requiredQualificationIds']);
  });

  it('sorts every list either way and keeps descending pages stable while rows are inserted; a cursor only fits its own sort', async () => {
    const { type } = await fleet('SORT');
    for (let i = 0; i < 12; i++)
      await create('/api/v1/equipment', {
        assetTag: `SORT-${String(i).padStart(2, '0')}`,
        name: `Sorter ${String.fromCharCode(108 - i)}`,
        equipmentTypeId: type.id,
      });
    const list = async (query: string) =>
      (await send(viewer, 'GET', `/api/v1/equipment?equipmentTypeId=${type.id}&${query}`)).json<
        Page<{ assetTag: string; name: string; id: string }>
      >();
    const tags = Array.from({ length: 12 }, (_, i) => `SORT-${String(i).padStart(2, '0')}`);
    expect((await list('limit=100')).items.map((e) => e.assetTag)).toEqual(tags);
    expect((await list('limit=100&sort=-assetTag')).items.map((e) => e.assetTag)).toEqual([...tags].reverse());
    expect((await list('limit=100&sort=name')).items.map((e) => e.assetTag)).toEqual([...tags].reverse());
    expect((await list('limit=100&sort=-createdAt')).items.map((e) => e.assetTag)).toEqual([...tags].reverse());

    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      const page: Page<{ assetTag: string }> = await list(`limit=5&sort=-assetTag${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((e) => e.assetTag));
      // Rows sorting before the cursor in either direction arrive meanwhile: pages must not shift.
      await create('/api/v1/equipment', { assetTag: `SORT-ZZ${inserted}`, name: 'late', equipmentTypeId: type.id });
      await create('/api/v1/equipment', {
        assetTag: `SORT-${String(inserted).padStart(2, '0')}-late`,
        name: 'late',
        equipmentTypeId: type.id,
      });
      inserted++;
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.filter((t) => /^SORT-\d\d$/.test(t))).toEqual([...tags].reverse());
    expect(new Set(seen).size).toBe(seen.length);

    // Timestamps sort exactly (microseconds), paging through updatedAt meets every row once.
    const byUpdated: string[] = [];
    cursor = null;
    do {
      const page: Page<{ id: string }> = await list(`limit=4&sort=updatedAt${cursor ? `&cursor=${cursor}` : ''}`);
      byUpdated.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(byUpdated).size).toBe((await list('limit=500')).items.length);

    const first = await list('limit=2&sort=name');
    const misfit = await send(viewer, 'GET', `/api/v1/equipment?equipmentTypeId=${type.id}&sort=-name&cursor=${first.nextCursor ?? ''}`);
    expect(misfit.statusCode).toBe(400);
    expect(fieldsOf(misfit.json())).toEqual(['cursor']);

    for (const [url, sort] of [
      ['/api/v1/qualifications', '-name'],
      ['/api/v1/equipment-types', '-updatedAt'],
      ['/api/v1/drivers', '-idleSince'],
      ['/api/v1/sites', '-createdAt'],
    ] as const) {
      expect((await send(viewer, 'GET', `${url}?sort=${sort}`)).statusCode, url).toBe(200);
    }
  });

  it('filters what a dispatcher asks for: status, type, qualification, text, duty and expiring qualifications', async () => {
    const { q, type } = await fleet('FLT');
    const hazmat = await create('/api/v1/qualifications', { code: 'FLT-HAZ', name: 'Hazardous loads' });
    const other = await create('/api/v1/equipment-types', { code: 'FLT-OTHER', name: 'Other', requiredQualificationIds: [hazmat.id] });
    const a = await create('/api/v1/equipment', { assetTag: 'FLT-A', name: 'Excavator alpha', equipmentTypeId: type.id });
    const b = await create('/api/v1/equipment', { assetTag: 'FLT-B', name: 'Excavator bravo', equipmentTypeId: type.id });
    const c = await create('/api/v1/equipment', { assetTag: 'FLT-C', name: 'Tanker', equipmentTypeId: other.id });
    await send(dispatcher, 'POST', `/api/v1/equipment/${b.id}/maintenance`, { note: 'hydraulic leak' });
    const ids = async (url: string) => (await send(viewer, 'GET', url)).json<Page<{ id: string }>>().items.map((r) => r.id);
    expect(await ids(`/api/v1/equipment?q=FLT-&status=maintenance`)).toEqual([b.id]);
    expect(await ids(`/api/v1/equipment?equipmentTypeId=${type.id}`)).toEqual([a.id, b.id]);
    expect(await ids(`/api/v1/equipment?qualificationId=${hazmat.id}`)).toEqual([c.id]);
    expect(await ids(`/api/v1/equipment?q=excavator%20b`)).toEqual([b.id]);
    expect(await ids(`/api/v1/equipment-types?qualificationId=${q.id}`)).toEqual([type.id]);
    expect(await ids('/api/v1/qualifications?q=hazardous')).toEqual([hazmat.id]);

    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const past = new Date(Date.now() - 86_400_000).toISOString();
    const later = new Date(Date.now() + 400 * 86_400_000).toISOString();
    const d1 = await create('/api/v1/drivers', {
      name: 'FLT Ada',
      dutyStatus: 'on_duty',
      qualifications: [{ qualificationId: q.id, expiresAt: soon }],
    });
    const d2 = await create('/api/v1/drivers', {
      name: 'FLT Ben',
      employeeNo: 'FLT-99',
      qualifications: [{ qualificationId: hazmat.id, expiresAt: past }],
    });
    const d3 = await create('/api/v1/drivers', {
      name: 'FLT Cy',
      dutyStatus: 'on_duty',
      qualifications: [{ qualificationId: q.id, expiresAt: later }, { qualificationId: hazmat.id }],
    });
    expect(await ids('/api/v1/drivers?q=FLT&dutyStatus=on_duty')).toEqual([d1.id, d3.id]);
    expect(await ids(`/api/v1/drivers?q=FLT&qualificationId=${hazmat.id}`)).toEqual([d2.id, d3.id]);
    expect(await ids('/api/v1/drivers?q=FLT&expiringWithinDays=30')).toEqual([d1.id, d2.id]);
    expect(await ids('/api/v1/drivers?q=FLT&expiringWithinDays=0')).toEqual([d2.id]);
    expect(await ids('/api/v1/drivers?q=flt-99')).toEqual([d2.id]);
    expect((await send(viewer, 'GET', `/api/v1/drivers/${d2.id}`)).json()).toMatchObject({
      qualifications: [{ code: 'FLT-HAZ', expired: true }],
    });

    const s1 = await create('/api/v1/sites', { name: 'FLT Quay', address: '12 Dock Rd, Salford M50 3AZ', contactName: 'Harbour master' });
    await create('/api/v1/sites', { name: 'FLT Mill', address: 'Redhill St, Manchester M4 5BA' });
    expect(await ids('/api/v1/sites?q=m50')).toEqual([s1.id]);
    expect(await ids('/api/v1/sites?q=harbour')).toEqual([s1.id]);
    expect(await ids('/api/v1/sites?q=100%25')).toEqual([]);
  });

  it('lets a dispatcher take equipment out for maintenance, only an admin return it, and never retire it on a job', async () => {
    const { type } = await fleet('MNT');
    const e = await create('/api/v1/equipment', { assetTag: 'MNT-1', name: 'Dumper', equipmentTypeId: type.id });
    expect((await send(dispatcher, 'POST', `/api/v1/equipment/${e.id}/maintenance`, {})).statusCode).toBe(400);
    const down = await send(dispatcher, 'POST', `/api/v1/equipment/${e.id}/maintenance`, { note: 'damaged on a job: cracked bucket' });
    expect(down.json()).toMatchObject({ status: 'maintenance', statusNote: 'damaged on a job: cracked bucket', version: 2 });
    expect((await send(dispatcher, 'POST', `/api/v1/equipment/${e.id}/return-to-service`, {})).statusCode).toBe(403);
    expect((await send(viewer, 'POST', `/api/v1/equipment/${e.id}/maintenance`, { note: 'x' })).statusCode).toBe(403);
    expect((await send(admin, 'POST', `/api/v1/equipment/${e.id}/return-to-service`, {}, { 'if-match': '"1"' })).statusCode).toBe(409);
    const back = await send(
      admin,
      'POST',
      `/api/v1/equipment/${e.id}/return-to-service`,
      { note: 'bucket replaced' },
      { 'if-match': '"2"' },
    );
    expect(back.json()).toMatchObject({ status: 'available', version: 3 });
    expect((await send(admin, 'POST', `/api/v1/equipment/${e.id}/return-to-service`, {})).statusCode).toBe(409);

    await withTenant(database.db, slug, (tx) => markEquipmentDispatched(tx, e.id));
    const retire = await send(admin, 'POST', `/api/v1/equipment/${e.id}/retire`, { note: 'old' });
    expect(retire.statusCode).toBe(409);
    expect(fieldsOf(retire.json())).toEqual(['status']);
    expect((await send(dispatcher, 'POST', `/api/v1/equipment/${e.id}/maintenance`, { note: 'x' })).statusCode).toBe(409);
    expect((await send(viewer, 'GET', `/api/v1/equipment/${e.id}`)).json()).toMatchObject({ status: 'dispatched' });
    expect(await auditActions(e.id)).toEqual(['equipment.created', 'equipment.maintenance', 'equipment.returned_to_service']);
  });

  it('puts a driver off duty (sick) and back, adds, renews and removes qualifications, each audited', async () => {
    const { q } = await fleet('DUTY');
    const d = await create('/api/v1/drivers', { name: 'Dee', dutyStatus: 'on_duty' });
    const sick = await send(dispatcher, 'POST', `/api/v1/drivers/${d.id}/duty`, { dutyStatus: 'off_duty', note: 'sick' });
    expect(sick.json()).toMatchObject({ dutyStatus: 'off_duty', statusNote: 'sick', version: 2 });
    expect((await send(dispatcher, 'POST', `/api/v1/drivers/${d.id}/duty`, { dutyStatus: 'resting' })).statusCode).toBe(400);
    expect(
      (await send(dispatcher, 'POST', `/api/v1/drivers/${d.id}/duty`, { dutyStatus: 'on_duty' }, { 'if-match': '"1"' })).statusCode,
    ).toBe(409);
    expect(
      (await send(dispatcher, 'POST', `/api/v1/drivers/${d.id}/duty`, { dutyStatus: 'on_duty' }, { 'if-match': '"2"' })).json(),
    ).toMatchObject({ dutyStatus: 'on_duty', statusNote: null });

    const url = `/api/v1/drivers/${d.id}/qualifications/${q.id}`;
    expect((await send(viewer, 'PUT', url, {})).statusCode).toBe(403);
    expect((await send(dispatcher, 'PUT', url, { expiresAt: 'next year' })).statusCode).toBe(400);
    const added = await send(dispatcher, 'PUT', url, { expiresAt: '2020-01-01T00:00:00Z' });
    expect(added.json()).toMatchObject({ version: 4, qualifications: [{ qualificationId: q.id, expired: true }] });
    const renewed = await send(dispatcher, 'PUT', url, { expiresAt: '2035-01-01T00:00:00+01:00' }, { 'if-match': '"4"' });
    expect(renewed.json()).toMatchObject({ version: 5, qualifications: [{ expiresAt: '2034-12-31T23:00:00.000Z', expired: false }] });
    expect(
      (await send(dispatcher, 'PUT', `/api/v1/drivers/${d.id}/qualifications/00000000-0000-4000-8000-000000000002`, {})).statusCode,
    ).toBe(422);
    expect((await send(dispatcher, 'DELETE', url)).json()).toMatchObject({ qualifications: [] });
    expect((await send(dispatcher, 'DELETE', url)).statusCode).toBe(404);
    expect(await auditActions(d.id)).toEqual([
      'driver.created',
      'driver.off_duty',
      'driver.on_duty',
      'driver.qualification_added',
      'driver.qualification_renewed',
      'driver.qualification_removed',
    ]);
  });

  it('matches the queue when capacity grows: equipment back from maintenance, a qualification renewed', async () => {
    const { q, type } = await fleet('CAP');
    const e = await create('/api/v1/equipment', { assetTag: 'CAP-1', name: 'Crane', equipmentTypeId: type.id });
    await send(dispatcher, 'POST', `/api/v1/equipment/${e.id}/maintenance`, { note: 'inspection' });
    const d = await create('/api/v1/drivers', {
      name: 'Cap',
      dutyStatus: 'on_duty',
      qualifications: [{ qualificationId: q.id, expiresAt: '2020-01-01T00:00:00Z' }],
    });
    const site = await create('/api/v1/sites', { name: 'CAP site', address: '1 Cap St' });
    const wo = await create<{ dispatchIds: string[] }>(
      '/api/v1/work-orders',
      { siteId: site.id, description: 'Lift', lines: [{ equipmentTypeId: type.id, quantity: 1 }] },
      dispatcher,
    );
    const dispatchUrl = `/api/v1/dispatches/${wo.dispatchIds[0] ?? ''}`;
    expect((await send(viewer, 'GET', dispatchUrl)).json()).toMatchObject({ status: 'queued' });
    await send(admin, 'POST', `/api/v1/equipment/${e.id}/return-to-service`, {});
    expect((await send(viewer, 'GET', dispatchUrl)).json()).toMatchObject({ status: 'queued' });
    await send(dispatcher, 'PUT', `/api/v1/drivers/${d.id}/qualifications/${q.id}`, { expiresAt: '2040-01-01T00:00:00Z' });
    expect((await send(viewer, 'GET', dispatchUrl)).json()).toMatchObject({ status: 'dispatched' });
    expect((await send(viewer, 'GET', `/api/v1/equipment/${e.id}`)).json()).toMatchObject({ status: 'dispatched' });
  });

  it('shows a driver their own record and lets them report their position, and nothing more', async () => {
    const { q } = await fleet('ME');
    const d = await create('/api/v1/drivers', {
      name: 'Mo',
      subject: 'me-driver-subject',
      dutyStatus: 'on_duty',
      qualifications: [{ qualificationId: q.id, expiresAt: '2030-06-01T00:00:00Z' }],
    });
    const me = await identity.token({ roles: ['driver'], tenant: slug, sub: 'me-driver-subject' });
    expect((await send(me, 'GET', '/api/v1/me/driver')).json()).toMatchObject({ id: d.id, name: 'Mo', qualifications: [{ code: 'ME-Q' }] });
    expect((await send(driverRole, 'GET', '/api/v1/me/driver')).statusCode).toBe(404);
    expect((await send(me, 'PUT', '/api/v1/me/driver/position', { lat: 95, lng: 0 })).statusCode).toBe(400);
    const moved = await send(me, 'PUT', '/api/v1/me/driver/position', { lat: 53.481, lng: -2.242 });
    expect(moved.json()).toMatchObject({ position: { lat: 53.481, lng: -2.242 } });
    expect((await send(viewer, 'GET', `/api/v1/drivers/${d.id}`)).json()).toMatchObject({ position: { lat: 53.481, lng: -2.242 } });
    expect((await send(dispatcher, 'PUT', '/api/v1/me/driver/position', { lat: 1, lng: 1 })).statusCode).toBe(403);
    for (const url of ['/api/v1/drivers', `/api/v1/drivers/${d.id}`, '/api/v1/equipment', '/api/v1/sites', '/api/v1/qualifications']) {
      expect((await send(me, 'GET', url)).statusCode, url).toBe(403);
    }
    expect((await send(me, 'POST', `/api/v1/drivers/${d.id}/duty`, { dutyStatus: 'on_duty' })).statusCode).toBe(403);
  });

  it('gives each role exactly its rights on resource routes', async () => {
    const { type } = await fleet('ROLE');
    const e = await create('/api/v1/equipment', { assetTag: 'ROLE-1', name: 'x', equipmentTypeId: type.id });
    const q = await create('/api/v1/qualifications', { code: 'ROLE-Z', name: 'z' });
    const expectations: Array<[string, 'GET' | 'POST' | 'DELETE', string, unknown, Record<string, number>]> = [
      [
        'create equipment',
        'POST',
        '/api/v1/equipment',
        { assetTag: 'ROLE-N', name: 'n', equipmentTypeId: type.id },
        { admin: 201, dispatcher: 409, viewer: 403 },
      ],
      ['create site', 'POST', '/api/v1/sites', { name: 'role site', address: 'x' }, { admin: 201, dispatcher: 201, viewer: 403 }],
      ['archive qualification', 'DELETE', `/api/v1/qualifications/${q.id}`, undefined, { viewer: 403, dispatcher: 403, admin: 200 }],
      ['retire equipment', 'POST', `/api/v1/equipment/${e.id}/retire`, {}, { viewer: 403, dispatcher: 403, admin: 200 }],
      ['import', 'POST', '/api/v1/imports/sites?dryRun=true', undefined, { viewer: 403, dispatcher: 403 }],
      ['export', 'GET', '/api/v1/exports/sites', undefined, { viewer: 200, dispatcher: 200, admin: 200 }],
    ];
    const tokens: Record<string, string> = { admin, dispatcher, viewer };
    for (const [what, method, url, payload, byRole] of expectations) {
      for (const [role, status] of Object.entries(byRole)) {
        const res = await send(tokens[role] ?? '', method, url, payload, method === 'DELETE' ? { 'if-match': '"1"' } : {});
        expect(res.statusCode, `${what} as ${role}: ${res.body}`).toBe(status);
      }
    }
  });

  it("hides another tenant's resources: 404 by id, absent from lists, unusable as references", async () => {
    const { q, type } = await fleet('ISO');
    const e = await create('/api/v1/equipment', { assetTag: 'ISO-1', name: 'iso', equipmentTypeId: type.id });
    const d = await create('/api/v1/drivers', { name: 'Iso', qualifications: [{ qualificationId: q.id }] });
    const s = await create('/api/v1/sites', { name: 'Iso site', address: 'x' });
    const stranger = await identity.token({ roles: ['admin'], tenant: otherSlug });
    for (const url of [
      `/api/v1/qualifications/${q.id}`,
      `/api/v1/equipment-types/${type.id}`,
      `/api/v1/equipment/${e.id}`,
      `/api/v1/drivers/${d.id}`,
      `/api/v1/sites/${s.id}`,
    ]) {
      expect((await send(stranger, 'GET', url)).statusCode, url).toBe(404);
      expect((await send(stranger, 'PATCH', url, { name: 'mine now' }, { 'if-match': '"1"' })).statusCode, url).toBe(404);
      expect((await send(stranger, 'DELETE', url, undefined, { 'if-match': '"1"' })).statusCode, url).toBe(404);
    }
    expect((await send(stranger, 'POST', `/api/v1/equipment/${e.id}/maintenance`, { note: 'x' })).statusCode).toBe(404);
    expect((await send(stranger, 'POST', `/api/v1/drivers/${d.id}/duty`, { dutyStatus: 'on_duty' })).statusCode).toBe(404);
    expect((await send(stranger, 'PUT', `/api/v1/drivers/${d.id}/qualifications/${q.id}`, {})).statusCode).toBe(404);
    expect((await send(stranger, 'GET', '/api/v1/equipment?q=ISO')).json<Page<unknown>>().items).toEqual([]);
    expect(
      (await send(stranger, 'POST', '/api/v1/equipment', { assetTag: 'ISO-1', name: 'same tag, other tenant', equipmentTypeId: type.id }))
        .statusCode,
    ).toBe(422);
    const theirType = await create('/api/v1/equipment-types', { code: 'ISO-T', name: 'their own' }, stranger);
    expect(
      (
        await send(stranger, 'POST', '/api/v1/equipment', {
          assetTag: 'ISO-1',
          name: 'codes are per tenant',
          equipmentTypeId: theirType.id,
        })
      ).statusCode,
    ).toBe(201);
  });
});
