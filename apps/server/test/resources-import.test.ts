import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

describe(`CSV import and export on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let admin: string;
  let dispatcher: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    const created = await createTestApp(database);
    app = created.app;
    const slug = (await createTestTenant(database, 'imp')).slug;
    admin = await created.identity.token({ roles: ['admin'], tenant: slug });
    dispatcher = await created.identity.token({ roles: ['dispatcher'], tenant: slug });
    const q = await app.inject({
      method: 'POST',
      url: '/api/v1/qualifications',
      headers: { authorization: `Bearer ${admin}` },
      payload: { code: 'CDL-A', name: 'CDL A' },
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/qualifications',
      headers: { authorization: `Bearer ${admin}` },
      payload: { code: 'HAZMAT', name: 'Hazmat' },
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/equipment-types',
      headers: { authorization: `Bearer ${admin}` },
      payload: { code: 'TRUCK', name: 'Truck', requiredQualificationIds: [q.json<{ id: string }>().id] },
    });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  const upload = (kind: string, csv: string, dryRun: boolean, token = admin) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/imports/${kind}?dryRun=${String(dryRun)}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: csv,
    });
  const count = async (path: string) =>
    (await app.inject({ method: 'GET', url: `${path}?limit=500`, headers: { authorization: `Bearer ${admin}` } })).json<{
      items: unknown[];
      nextCursor: string | null;
    }>();

  it('names every bad row of a 5,000-row file in a dry run, refuses to commit it, then commits the clean file', async () => {
    const lines = ['asset_tag,name,type_code,home_lat,home_lng'];
    for (let i = 1; i <= 5000; i++) lines.push(`T-${i},"Truck ${i}, long bed",TRUCK,53.${i % 100},-2.2`);
    const bad = [...lines];
    bad[100] = 'T-99,Repeats line 100,TRUCK,,'; // file line 101 (line 1 is the header)
    bad[2000] = 'T-2000,Unknown type,DOZER,,';
    bad[3000] = 'T-3000,Bad latitude,TRUCK,95,-2';
    bad[4000] = 'T-4000,,TRUCK,,';
    const dry = await upload('equipment', bad.join('\r\n'), true);
    expect(dry.statusCode).toBe(200);
    const report = dry.json<{ rows: number; valid: number; created: number; errors: Array<{ field: string; message: string }> }>();
    expect(report.rows).toBe(5000);
    expect(report.created).toBe(0);
    expect(report.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['line 101: asset_tag', 'line 2001: type_code', 'line 3001: home_lat', 'line 4001: name']),
    );
    const commit = await upload('equipment', bad.join('\r\n'), false);
    expect(commit.statusCode).toBe(422);
    expect(commit.json()).toMatchObject({ type: '/problems/import-rejected' });
    expect((await count('/api/v1/equipment')).items).toHaveLength(0);

    const good = await upload('equipment', lines.join('\n'), false);
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({ rows: 5000, valid: 5000, created: 5000, errors: [] });
    const page = await count('/api/v1/equipment');
    expect(page.items).toHaveLength(500);
    expect(page.nextCursor).not.toBeNull();
  }, 120_000);

  it('imports drivers with qualifications and expiry dates, and exports what it imports', async () => {
    const csv =
      'name,employee_no,email,duty_status,qualifications\n"Okafor, Kwame",E1,kwame@example.test,on_duty,CDL-A:2030-01-31;HAZMAT\nPriya Patel,E2,,,CDL-A\n';
    const res = await upload('drivers', csv, false);
    expect(res.json()).toMatchObject({ created: 2, errors: [] });
    const exported = await app.inject({
      method: 'GET',
      url: '/api/v1/exports/drivers',
      headers: { authorization: `Bearer ${dispatcher}` },
    });
    expect(exported.headers['content-type']).toContain('text/csv');
    expect(exported.body).toContain('"Okafor, Kwame",E1,,kwame@example.test,on_duty,CDL-A:2030-01-31;HAZMAT');
    const again = await upload('drivers', csv, true);
    expect(again.json<{ errors: Array<{ message: string }> }>().errors.map((e) => e.message)).toEqual([
      'employee number "E1" already exists',
      'employee number "E2" already exists',
    ]);
  });

  it('reports a missing column, an unknown qualification and a malformed quote, and only admins import', async () => {
    expect((await upload('sites', 'name\nYard\n', true)).json<{ errors: Array<{ message: string }> }>().errors[0]?.message).toBe(
      'missing column "address"',
    );
    expect(
      (await upload('drivers', 'name,qualifications\nSam,FORKLIFT\n', true)).json<{ errors: Array<{ field: string }> }>().errors[0]?.field,
    ).toBe('line 2: qualifications');
    const broken = await upload('sites', 'name,address\n"Yard,1 Road\n', true);
    expect(broken.statusCode).toBe(422);
    expect(broken.json()).toMatchObject({ type: '/problems/invalid-csv' });
    expect((await upload('sites', 'name,address\nYard,1 Road\n', false, dispatcher)).statusCode).toBe(403);
  });
});
