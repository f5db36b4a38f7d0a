import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResult } from '@yardmaster/contracts';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createWorkOrder } from '../src/modules/dispatch/index.js';
import { createSite } from '../src/modules/sites/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller, type Fleet } from './support/fleet.js';

describe(`search everywhere on ${testDbKind()}`, () => {
  let database: Database;
  let tenant: TenantRecord;
  let other: TenantRecord;
  let t: TestApp;
  let fleet: Fleet;
  let number = '';
  const token = new Map<string, string>();

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'srch');
    other = await createTestTenant(database, 'srch');
    t = await createTestApp(database);
    fleet = await buildFleet(database, tenant.slug, {
      types: { CRANE: ['NCCCO'] },
      equipment: { CRANE: 2 },
      drivers: [{ name: 'Ann Ortiz', quals: ['NCCCO'] }],
    });
    const caller = dispatcherCaller(tenant.slug);
    await withTenant(database.db, tenant.slug, async (tx) => {
      const harbour = await createSite(tx, caller, { name: 'Harbour Quay', address: '9 Dock Road' });
      const wo = await createWorkOrder(tx, caller, {
        siteId: harbour.id,
        description: 'Lift the steel beams',
        priority: 'standard',
        lines: [{ equipmentTypeId: fleet.typeIds.CRANE ?? '', quantity: 1 }],
      });
      number = wo.number;
    });
    // The other tenant has a look-alike of everything: none of it may show.
    await buildFleet(database, other.slug, { types: { CRANE: [] }, equipment: { CRANE: 1 }, drivers: [{ name: 'Ann Other', quals: [] }] });
    await withTenant(database.db, other.slug, (tx) =>
      createSite(tx, dispatcherCaller(other.slug), { name: 'Harbour Quay (other)', address: 'elsewhere' }),
    );
    for (const role of ['admin', 'dispatcher', 'viewer', 'driver'] as const)
      token.set(role, await t.identity.token({ roles: [role], tenant: tenant.slug }));
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  const search = async (q: string, role = 'dispatcher', extra = '') => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/v1/search?q=${encodeURIComponent(q)}${extra}`,
      headers: { authorization: `Bearer ${token.get(role) ?? ''}` },
    });
    return response;
  };

  it('finds a work order by number and by words of its description', async () => {
    const byNumber = (await search(number)).json<SearchResult>();
    expect(byNumber.workOrders.map((w) => w.number)).toEqual([number]);
    const byWords = (await search('steel BEAM')).json<SearchResult>();
    expect(byWords.workOrders.map((w) => w.number)).toContain(number);
  });

  it('finds a site and the work at it, equipment by asset tag and drivers by name, in this tenant only', async () => {
    const bySite = (await search('harbour')).json<SearchResult>();
    expect(bySite.sites.map((s) => s.name)).toEqual(['Harbour Quay']);
    expect(bySite.workOrders.map((w) => w.number)).toEqual([number]);
    const byTag = (await search('crane-2')).json<SearchResult>();
    expect(byTag.equipment.map((e) => e.assetTag)).toEqual(['CRANE-2']);
    const byName = (await search('ann')).json<SearchResult>();
    expect(byName.drivers.map((d) => d.name)).toEqual(['Ann Ortiz']);
    expect(byName.drivers[0]).toMatchObject({ dutyStatus: 'on_duty' });
    const nothing = (await search('zzz-no-such-thing')).json<SearchResult>();
    expect(nothing).toEqual({ workOrders: [], sites: [], equipment: [], drivers: [] });
  });

  it('limits each kind and lets admins and viewers search, not drivers', async () => {
    const limited = (await search('crane', 'admin', '&limit=1')).json<SearchResult>();
    expect(limited.equipment).toHaveLength(1);
    expect((await search('crane', 'viewer')).statusCode).toBe(200);
    const driver = await search('crane', 'driver');
    expect(driver.statusCode).toBe(403);
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/search?q=crane' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses an empty or oversized query with a problem naming the field', async () => {
    for (const extra of ['', '&limit=0', '&limit=21']) {
      const response = await search(extra ? 'crane' : '   ', 'dispatcher', extra);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(response.json())).toMatch(/"querystring\.(q|limit)"/);
    }
    const long = await search('x'.repeat(201));
    expect(long.statusCode).toBe(400);
  });
});
