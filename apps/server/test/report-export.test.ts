import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReportSnapshot } from '@yardmaster/contracts';
import { migrations } from '../src/migrations/index.js';
import { systemCaller } from '../src/platform/caller.js';
import { provisionTenant, withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { recordStatusReport } from '../src/modules/reporting/index.js';
import { createTestApp } from './support/app.js';
import { openTestDatabase, testDbKind, uniqueSlug } from './support/db.js';
import type { TestIdentity } from './support/identity.js';

const HOSTILE = '=HYPERLINK("http://evil.test","click")';

describe(`analytics and report exports (CSV, xlsx) on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let tenant: TenantRecord;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    tenant = await provisionTenant(
      database.db,
      { slug: uniqueSlug('rx'), name: 'Export Co', timeZone: 'Europe/London' },
      migrations.tenant,
    );
    await withTenant(database.db, tenant.slug, async (tx) => {
      const id = async (q: ReturnType<typeof sql<{ id: string }>>): Promise<string> => (await q.execute(tx)).rows[0]?.id ?? '';
      const type = await id(sql<{ id: string }>`insert into equipment_types (code, name) values ('CR', 'Crane') returning id`);
      const equipment = await id(
        sql<{ id: string }>`insert into equipment (asset_tag, name, equipment_type_id) values ('CR-1', ${HOSTILE}, ${type}) returning id`,
      );
      const driver = await id(sql<{ id: string }>`insert into drivers (name) values ('Dana') returning id`);
      const site = await id(sql<{ id: string }>`insert into sites (name, address) values (${HOSTILE}, '1 St') returning id`);
      for (let i = 0; i < 3; i++) {
        const snapshot: StatusReportSnapshot = {
          dispatchId: randomUUID(),
          workOrder: { id: randomUUID(), number: `WO-${i}`, description: null },
          site: { id: site, name: HOSTILE, address: null },
          equipment: { id: equipment, assetTag: 'CR-1', name: HOSTILE, typeId: type, typeCode: 'CR', typeName: 'Crane' },
          driver: { id: driver, name: 'Dana' },
          dispatcher: { kind: 'system', subject: 'system', name: 'system' },
          priority: 'standard',
          finalStatus: 'completed',
          notes: i === 0 ? '+1 spare, "quoted", and a\nnewline' : null,
          timestamps: {
            createdAt: `2026-05-0${i + 1}T08:00:00Z`,
            queuedAt: `2026-05-0${i + 1}T08:00:00Z`,
            dispatchedAt: `2026-05-0${i + 1}T08:30:00Z`,
            onSiteAt: `2026-05-0${i + 1}T09:00:00Z`,
            completedAt: `2026-05-0${i + 1}T12:00:00Z`,
          },
        };
        await recordStatusReport(tx, systemCaller(tenant.slug), snapshot);
      }
    });
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  const get = async (url: string, roles: Array<'viewer' | 'driver'> = ['viewer']) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await identity.token({ roles, tenant: tenant.slug })}` } });
  const workbook = async (body: Buffer): Promise<ExcelJS.Workbook> => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(body as unknown as ArrayBuffer);
    return book;
  };

  it('exports analytics as a workbook of typed cells', async () => {
    const res = await get('/api/v1/analytics?from=2026-05-01T00:00:00Z&to=2026-05-08T00:00:00Z&format=xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.headers['content-disposition']).toContain('.xlsx');
    const book = await workbook(res.rawPayload);
    expect(book.worksheets.map((w) => w.name)).toEqual([
      'Summary',
      'Durations (s)',
      'Equipment utilisation',
      'Drivers utilisation',
      'Busiest sites',
      'Queue depth (hour)',
      'Peak hours',
    ]);
    const summary = book.getWorksheet('Summary');
    const completed = summary?.getRows(1, 20)?.find((r) => r.getCell(1).value === 'completed');
    expect(completed?.getCell(2).value).toBe(3);
    const wait = book.getWorksheet('Durations (s)')?.getRow(2);
    expect(wait?.getCell(1).value).toBe('queueWait');
    expect(wait?.getCell(3).value).toBe(1800);
    // A hostile site name is text, never a formula.
    const site = book.getWorksheet('Busiest sites')?.getRow(2).getCell(2);
    expect(site?.value).toBe(HOSTILE);
    expect(site?.type).toBe(ExcelJS.ValueType.String);
  });

  it('exports the report list as CSV and xlsx, formula-safe, with the list filters', async () => {
    const csv = await get('/api/v1/reports/export?from=2026-05-01T00:00:00Z&to=2026-05-03T00:00:00Z');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe(
      'number,final status,priority,work order,site,equipment,equipment name,equipment type,driver,dispatcher,created at,dispatched at,on site at,finished at,notes,recall reason,corrections',
    );
    // Two reports finished in the range; the hostile name is defused with a leading apostrophe.
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil.test"",""click"")"`);
    expect(csv.body).toContain(`"'+1 spare, ""quoted"", and a\nnewline"`);
    expect(csv.body.match(/^SR-/gm)).toHaveLength(2);

    const xlsx = await get('/api/v1/reports/export?format=xlsx');
    expect(xlsx.statusCode).toBe(200);
    const sheet = (await workbook(xlsx.rawPayload)).getWorksheet('Status reports');
    expect(sheet?.rowCount).toBe(4);
    const cell = sheet?.getRow(2).getCell(5);
    expect(cell?.value).toBe(HOSTILE);
    expect(cell?.type).toBe(ExcelJS.ValueType.String);

    // A driver without a linked record sees none; bad input is a 400.
    const driver = await get('/api/v1/reports/export', ['driver']);
    expect(driver.statusCode).toBe(200);
    expect(driver.body.trim().split('\r\n')).toHaveLength(1);
    expect((await get('/api/v1/reports/export?format=pdf')).statusCode).toBe(400);
  });

  it('serves a year at daily queue depth and refuses an hourly series that long', async () => {
    const year = await get('/api/v1/analytics?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z');
    expect(year.statusCode).toBe(200);
    const body = year.json<{ queueDepthResolution: string; queueDepth: Array<{ hour: string }>; source: string }>();
    expect(body.queueDepthResolution).toBe('day');
    expect(body.queueDepth).toHaveLength(365);
    expect(body.queueDepth[0]?.hour).toBe('2026-01-01T00:00:00+00:00');
    expect(body.queueDepth[100]?.hour).toBe('2026-04-11T00:00:00+01:00');
    expect(body.source).toContain('analytics_rollup');
    const hourly = await get('/api/v1/analytics?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&queueDepthResolution=hour');
    expect(hourly.statusCode).toBe(400);
    expect(hourly.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('queueDepthResolution');
  });
});
