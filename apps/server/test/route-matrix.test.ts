import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../src/platform/http/access.js';
import { registerAccessControl } from '../src/platform/http/access.js';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
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
    for (const role of ['admin', 'dispatcher', 'driver', 'viewer'] as const) tokens.set(role, await testApp.identity.token({ roles: [role], tenant: tenant.slug }));
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
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['GET /api/v1/me', 'GET /api/v1/users', 'PATCH /api/v1/users/:id']));
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
            headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(hasBody ? { 'content-type': 'application/json' } : {}), 'if-match': '"1"' },
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
