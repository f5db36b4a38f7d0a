import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../src/platform/http/access.js';
import { registerAccessControl } from '../src/platform/http/access.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { evaluateAlerts } from '../src/modules/alerts/index.js';
import { createTestApp, type RegisteredRoute, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

type Who = 'admin' | 'dispatcher' | 'driver' | 'viewer' | 'operator' | 'anonymous';
const EVERYONE: readonly Who[] = ['admin', 'dispatcher', 'driver', 'viewer', 'operator', 'anonymous'];
const PARAM_VALUE = '00000000-0000-4000-8000-00000000beef';

/** What the access declaration promises to each caller: 'allowed', 401 or 403. */
function expected(access: Access, who: Who): 'allowed' | 401 | 403 {
  if (access === 'public') return 'allowed';
  if (who === 'anonymous') return 401;
  if (access === 'authenticated') return 'allowed';
  if (access === 'operator') return who === 'operator' ? 'allowed' : 403;
  return who !== 'operator' && access.roles.includes(who) ? 'allowed' : 403;
}

describe(`route × role matrix on ${testDbKind()}`, () => {
  let database: Database;
  let testApp: TestApp;
  let tenant: TenantRecord;
  let baseUrl: string;
  const tokens = new Map<Who, string | undefined>();

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'matrix');
    testApp = await createTestApp(database);
    await testApp.app.listen({ host: '127.0.0.1', port: 0 });
    const address = testApp.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    for (const role of ['admin', 'dispatcher', 'driver', 'viewer'] as const)
      tokens.set(role, await testApp.identity.token({ roles: [role], tenant: tenant.slug }));
    tokens.set('operator', await testApp.identity.token({ roles: ['operator'] }));
    tokens.set('anonymous', undefined);
  });
  afterAll(async () => {
    await testApp.app.close();
    await database.close();
  });

  const apiRoutes = (): RegisteredRoute[] => testApp.routes.filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'HEAD');

  it('reads a route table with every /api/v1 route declaring its access', () => {
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const route of routes) expect(route.access, `${route.method} ${route.url}`).toBeDefined();
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/me', 'GET /api/v1/users', 'PATCH /api/v1/users/:id']),
    );
  });

  it('answers every route for every role exactly as declared (401 without token, 403 for undeclared roles)', async () => {
    const failures: string[] = [];
    for (const route of apiRoutes()) {
      const url = route.url.replace(/:[A-Za-z_]+/g, PARAM_VALUE).replace(/\*$/, '');
      for (const who of EVERYONE) {
        const token = tokens.get(who);
        const hasBody = !['GET', 'DELETE', 'OPTIONS'].includes(route.method);
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), 10_000);
        let status: number;
        try {
          const response = await fetch(`${baseUrl}${url}`, {
            method: route.method,
            headers: {
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(hasBody ? { 'content-type': 'application/json' } : {}),
              'if-match': '"1"',
            },
            body: hasBody ? '{}' : undefined,
            signal: controller.signal,
          });
          status = response.status;
          // Streams (server-sent events) stay open: the status line is all this test needs.
          await response.body?.cancel();
        } finally {
          clearTimeout(timer);
        }
        const want = expected(route.access ?? 'public', who);
        const ok = want === 'allowed' ? status !== 401 && status !== 403 : status === want;
        if (!ok) failures.push(`${route.method} ${route.url} as ${who}: got ${status}, expected ${want}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 401 as application/problem+json', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('fails at start when a route declares no access', async () => {
    const app = Fastify();
    registerAccessControl(app, () => Promise.reject(new Error('unused')));
    expect(() => app.get('/api/v1/undeclared', async () => 'x')).toThrow(/declares no access/);
    await app.close();
  });
});

/**
 * The region axis: a dispatcher and a viewer limited to NORTH, against every route that names a
 * SOUTH row (equipment, driver, site, work order, dispatch, status report). Reads answer 404
 * (hidden), writes 403 (refused); an admin reads the same rows. Every list the role may read
 * names no SOUTH row.
 */
describe(`route × role × region matrix on ${testDbKind()}`, () => {
  let database: Database;
  let testApp: TestApp;
  let tenant: TenantRecord;
  let admin: string;
  const scoped = new Map<'dispatcher' | 'viewer', string>();
  const south: Record<'equipment' | 'driver' | 'site' | 'workOrder' | 'dispatch' | 'report' | 'qualification', string> = {
    equipment: '',
    driver: '',
    site: '',
    workOrder: '',
    dispatch: '',
    report: '',
    qualification: '',
  };
  let northWorkOrder = '';
  let southType = '';

  const call = async (token: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    testApp.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const ok = async (token: string, method: string, url: string, payload?: unknown): Promise<Record<string, unknown>> => {
    const response = await call(token, method, url, payload);
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json<Record<string, unknown>>();
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'matrixr');
    testApp = await createTestApp(database);
    admin = await testApp.identity.token({ roles: ['admin'], tenant: tenant.slug });
    for (const code of ['NORTH', 'SOUTH']) await ok(admin, 'POST', '/api/v1/regions', { code, name: code });
    for (const role of ['dispatcher', 'viewer'] as const) {
      const sub = `${role}-north`;
      await ok(admin, 'POST', '/api/v1/users', { subject: sub, roles: [role], regions: ['NORTH'] });
      scoped.set(role, await testApp.identity.token({ roles: [role], tenant: tenant.slug, sub }));
    }
    south.qualification = (await ok(admin, 'POST', '/api/v1/qualifications', { code: 'Q', name: 'Q' })).id as string;
    const type = (await ok(admin, 'POST', '/api/v1/equipment-types', { code: 'T', name: 'T', requiredQualificationIds: [] })).id as string;
    southType = type;
    south.site = (await ok(admin, 'POST', '/api/v1/sites', { name: 'South', address: 'x', region: 'SOUTH' })).id as string;
    const northSite = (await ok(admin, 'POST', '/api/v1/sites', { name: 'North', address: 'x', region: 'NORTH' })).id as string;
    south.equipment = (
      await ok(admin, 'POST', '/api/v1/equipment', { assetTag: 'S-1', name: 'S-1', equipmentTypeId: type, region: 'SOUTH' })
    ).id as string;
    south.driver = (await ok(admin, 'POST', '/api/v1/drivers', { name: 'Sam', region: 'SOUTH', dutyStatus: 'on_duty' })).id as string;
    // A finished job (its status report) and a live one, both in the south.
    const first = await ok(admin, 'POST', '/api/v1/work-orders', {
      siteId: south.site,
      description: 'a',
      lines: [{ equipmentTypeId: type, quantity: 1 }],
    });
    const firstDispatch = (first.dispatchIds as string[])[0] ?? '';
    const d = await call(admin, 'GET', `/api/v1/dispatches/${firstDispatch}`);
    expect(
      (await call(admin, 'POST', `/api/v1/dispatches/${firstDispatch}/recall`, { reason: 'done' }, { 'if-match': String(d.headers.etag) }))
        .statusCode,
    ).toBe(200);
    south.report = ((await ok(admin, 'GET', '/api/v1/reports')).items as Array<{ id: string }>)[0]?.id ?? '';
    const second = await ok(admin, 'POST', '/api/v1/work-orders', {
      siteId: south.site,
      description: 'b',
      lines: [{ equipmentTypeId: type, quantity: 1 }],
    });
    south.workOrder = second.id as string;
    south.dispatch = (second.dispatchIds as string[])[0] ?? '';
    northWorkOrder = (
      await ok(admin, 'POST', '/api/v1/work-orders', {
        siteId: northSite,
        description: 'n',
        lines: [{ equipmentTypeId: type, quantity: 1 }],
      })
    ).id as string;
  });
  afterAll(async () => {
    await testApp.app.close();
    await database.close();
  });

  /** The SOUTH row a route's `:id` names, by the route's resource; undefined: the route names no regional row. */
  const southIdFor = (url: string): string | undefined => {
    if (url.startsWith('/api/v1/equipment/:id')) return south.equipment;
    if (url.startsWith('/api/v1/drivers/:id')) return south.driver;
    if (url.startsWith('/api/v1/sites/:id')) return south.site;
    if (url.startsWith('/api/v1/work-orders/:id')) return south.workOrder;
    if (url.startsWith('/api/v1/dispatches/:id')) return south.dispatch;
    if (url.startsWith('/api/v1/reports/:id')) return south.report;
    return undefined;
  };
  /** A body each write route accepts, so the request reaches the policy (not schema validation). */
  const BODIES: Record<string, unknown> = {
    'PATCH /api/v1/equipment/:id': { name: 'x' },
    'POST /api/v1/equipment/:id/maintenance': { note: 'x' },
    'PATCH /api/v1/drivers/:id': { name: 'x' },
    'POST /api/v1/drivers/:id/duty': { dutyStatus: 'off_duty' },
    'PATCH /api/v1/sites/:id': { name: 'x' },
    'PATCH /api/v1/work-orders/:id': { description: 'x' },
    'POST /api/v1/dispatches/:id/status': { status: 'en_route' },
    'POST /api/v1/dispatches/:id/recall': { reason: 'x' },
    'POST /api/v1/dispatches/:id/priority': { priority: 'urgent' },
    'POST /api/v1/reports/:id/notes': { body: 'x' },
  };
  const urlOf = (route: RegisteredRoute, id: string): string =>
    route.url
      .replace(':id', id)
      .replace(':qualificationId', south.qualification)
      .replace(':relatedId', northWorkOrder)
      .replace(/:[A-Za-z_]+/g, PARAM_VALUE);
  const regional = (): RegisteredRoute[] => testApp.routes.filter((r) => r.method !== 'HEAD' && southIdFor(r.url) !== undefined);

  it('covers every route that names a regional row', () => {
    const routes = regional().map((r) => `${r.method} ${r.url}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /api/v1/equipment/:id',
        'POST /api/v1/dispatches/:id/assign',
        'GET /api/v1/reports/:id',
        'PUT /api/v1/work-orders/:id/related/:relatedId',
      ]),
    );
  });

  it('answers a regional dispatcher and viewer 404 for reads and 403 for writes of another region, as declared by role otherwise', async () => {
    const failures: string[] = [];
    for (const route of regional()) {
      const id = southIdFor(route.url) ?? '';
      for (const [role, token] of scoped) {
        const access = route.access ?? 'public';
        const byRole = typeof access === 'object' && access.roles.includes(role);
        const isRead = route.method === 'GET';
        // The dispatch's live version, so a command reaches the policy (a stale one answers 409 first).
        const version = route.url.startsWith('/api/v1/dispatches/:id')
          ? ((await ok(admin, 'GET', `/api/v1/dispatches/${south.dispatch}`)).version as number)
          : 1;
        const upload = route.method === 'POST' && route.url.endsWith('/attachments');
        const response = upload
          ? await testApp.app.inject({
              method: 'POST',
              url: `${urlOf(route, id)}?filename=a.pdf`,
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pdf' },
              payload: Buffer.from('%PDF-1.4\n%%EOF\n'),
            })
          : await call(
              token,
              route.method,
              urlOf(route, id),
              isRead || route.method === 'DELETE'
                ? undefined
                : (BODIES[`${route.method} ${route.url}`] ??
                    (route.url.endsWith('/assign') ? { equipmentId: south.equipment, driverId: south.driver } : {})),
              {
                'if-match': `"${String(version)}"`,
              },
            );
        const want = !byRole ? 403 : isRead ? 404 : 403;
        if (response.statusCode !== want)
          failures.push(
            `${route.method} ${route.url} as ${role} (NORTH): got ${response.statusCode} ${response.body.slice(0, 160)}, expected ${want}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets an admin read the same rows', async () => {
    const failures: string[] = [];
    for (const route of regional().filter((r) => r.method === 'GET' && !/:(fileId|actionId)/.test(r.url) && !r.url.endsWith('/proof'))) {
      const response = await call(admin, 'GET', urlOf(route, southIdFor(route.url) ?? ''));
      if (response.statusCode !== 200) failures.push(`${route.url}: ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('names no row of another region in any list a regional dispatcher or viewer may read', async () => {
    const failures: string[] = [];
    // A southern request that waits (the southern machine and driver are on the live job), and
    // alerts evaluated three hours on: it is then "queued too long", an alert about the south.
    const waiting =
      (
        (
          await ok(admin, 'POST', '/api/v1/work-orders', {
            siteId: south.site,
            description: 'w',
            lines: [{ equipmentTypeId: southType, quantity: 1 }],
          })
        ).dispatchIds as string[]
      )[0] ?? '';
    await withTenant(database.db, tenant.slug, (tx) => evaluateAlerts(tx, new Date(Date.now() + 3 * 3_600_000)));
    expect(((await ok(admin, 'GET', '/api/v1/alerts')).items as Array<{ entityId: string }>).map((a) => a.entityId)).toContain(waiting);
    const secrets = [...Object.entries(south).filter(([kind]) => kind !== 'qualification'), ['waiting dispatch', waiting] as const];
    // Lists that need a query to answer (analytics: a range around now).
    const day = 86_400_000;
    const QUERIES: Record<string, string> = {
      '/api/v1/analytics': `?from=${new Date(Date.now() - day).toISOString()}&to=${new Date(Date.now() + day).toISOString()}`,
    };
    expect(
      ((await ok(admin, 'GET', `/api/v1/analytics${QUERIES['/api/v1/analytics'] ?? ''}`)).busiestSites as Array<{ siteId: string }>).map(
        (x) => x.siteId,
      ),
    ).toContain(south.site);
    const lists = testApp.routes.filter(
      (r) =>
        r.method === 'GET' &&
        r.url.startsWith('/api/v1/') &&
        !r.url.includes(':') &&
        !r.url.includes('stream') &&
        !r.url.endsWith('/events'),
    );
    for (const route of lists) {
      for (const [role, token] of scoped) {
        const access = route.access ?? 'public';
        if (typeof access !== 'object' || !access.roles.includes(role)) continue;
        const response = await call(token, 'GET', `${route.url}${QUERIES[route.url] ?? ''}`);
        for (const [kind, id] of secrets)
          if (response.body.includes(id)) failures.push(`GET ${route.url} as ${role} (NORTH) names the SOUTH ${kind}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('explains a northern request without naming a southern machine or driver', async () => {
    const id = ((await ok(admin, 'GET', `/api/v1/work-orders/${northWorkOrder}`)).dispatchIds as string[])[0] ?? '';
    for (const [role, token] of scoped) {
      const response = await call(token, 'GET', `/api/v1/dispatches/${id}/explain`);
      expect(response.statusCode, role).toBe(200);
      for (const secret of [south.equipment, south.driver, 'S-1', 'Sam']) expect(response.body, `${role}: ${secret}`).not.toContain(secret);
    }
  });
});
