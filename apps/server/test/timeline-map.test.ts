import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobLengths } from '@yardmaster/contracts';
import { advanceDispatch, createWorkOrder, dispatchManually } from '../src/modules/dispatch/index.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { loadConfig } from '../src/config.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller, type Fleet } from './support/fleet.js';

describe(`the timeline's job lengths and the map's tile source on ${testDbKind()}`, () => {
  let database: Database;
  let tenant: TenantRecord;
  let other: TenantRecord;
  let t: TestApp;
  let fleet: Fleet;

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'jobl');
    other = await createTestTenant(database, 'jobl');
    t = await createTestApp(database);
    fleet = await buildFleet(database, tenant.slug, {
      types: { CRANE: [], VAN: [] },
      equipment: { CRANE: 1, VAN: 1 },
      drivers: [{ quals: [] }],
    });
    const caller = dispatcherCaller(tenant.slug);
    await withTenant(database.db, tenant.slug, async (tx) => {
      await sql`insert into tenant_settings (key, value) values ('dispatch', '{"autoProcessing": false}'::jsonb)`.execute(tx);
    });
    // Two finished crane jobs: 30 and 90 minutes long.
    for (const minutes of [30, 90]) {
      const wo = await withTenant(database.db, tenant.slug, (tx) =>
        createWorkOrder(tx, caller, {
          siteId: fleet.siteId,
          description: 'Lift',
          priority: 'standard',
          lines: [{ equipmentTypeId: fleet.typeIds.CRANE ?? '', quantity: 1 }],
        }),
      );
      const id = wo.dispatchIds[0] ?? '';
      await withTenant(database.db, tenant.slug, async (tx) => {
        await dispatchManually(tx, caller, id, undefined, {
          equipmentId: fleet.equipmentIds.CRANE?.[0] ?? '',
          driverId: fleet.driverIds[0] ?? '',
        });
        await advanceDispatch(tx, caller, id, undefined, { status: 'completed' });
        await sql`update dispatches set dispatched_at = completed_at - make_interval(mins => ${minutes}) where id = ${id}`.execute(tx);
      });
    }
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  const read = async (role: 'admin' | 'dispatcher' | 'viewer' | 'driver', slug = tenant.slug) =>
    t.app.inject({
      method: 'GET',
      url: '/api/v1/job-lengths',
      headers: { authorization: `Bearer ${await t.identity.token({ roles: [role], tenant: slug })}` },
    });

  it('answers the mean of finished jobs per type, and the default for types without history', async () => {
    const response = await read('dispatcher');
    expect(response.statusCode).toBe(200);
    const body = response.json<JobLengths>();
    expect(body.defaultSeconds).toBe(3600);
    expect(body.types).toEqual([{ equipmentTypeId: fleet.typeIds.CRANE, meanSeconds: 3600, finished: 2 }]);
  });

  it('keeps each tenant to its own history and refuses drivers', async () => {
    expect((await read('viewer', other.slug)).json<JobLengths>().types).toEqual([]);
    expect((await read('driver')).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/job-lengths' })).statusCode).toBe(401);
  });
  it('answers the built-in plain map style by default, with no outside origin allowed', async () => {
    const response = await read('dispatcher');
    expect(response.headers['content-security-policy']).not.toContain('tiles.example.test');
    const style = await t.app.inject({
      method: 'GET',
      url: '/api/v1/map-style',
      headers: { authorization: `Bearer ${await t.identity.token({ roles: ['admin'], tenant: tenant.slug })}` },
    });
    expect(style.json()).toEqual({ styleUrl: null });
  });

  it('serves a configured tile style and lets the browser reach its hosts (CSP), and refuses a bad setting', async () => {
    const mapped = await createTestApp(
      database,
      { MAP_STYLE_URL: 'https://tiles.example.test/styles/liberty.json', MAP_ORIGINS: 'https://glyphs.example.test' },
      { identity: t.identity },
    );
    try {
      const token = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
      const style = await mapped.app.inject({ method: 'GET', url: '/api/v1/map-style', headers: { authorization: `Bearer ${token}` } });
      expect(style.json()).toEqual({ styleUrl: 'https://tiles.example.test/styles/liberty.json' });
      const csp = String(style.headers['content-security-policy']);
      expect(csp).toMatch(/connect-src [^;]*https:\/\/tiles\.example\.test[^;]*https:\/\/glyphs\.example\.test/);
      expect(csp).toMatch(/img-src [^;]*https:\/\/tiles\.example\.test/);
      const driver = await mapped.app.inject({
        method: 'GET',
        url: '/api/v1/map-style',
        headers: { authorization: `Bearer ${await t.identity.token({ roles: ['driver'], tenant: tenant.slug })}` },
      });
      expect(driver.statusCode).toBe(403);
    } finally {
      await mapped.app.close();
    }
    expect(() => loadConfig({ MAP_STYLE_URL: 'ftp://tiles.example.test/style.json' })).toThrow(/MAP_STYLE_URL/);
    expect(() => loadConfig({ MAP_ORIGINS: 'https://tiles.example.test/with/path' })).toThrow(/MAP_ORIGINS/);
  });
});
