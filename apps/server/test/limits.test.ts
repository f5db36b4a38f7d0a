import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { limitsEnv, openStream, type StreamAttempt } from './support/limits.js';

describe('rate limits per user and per tenant (429 + Retry-After)', () => {
  let database: Database;
  let t: TestApp;
  let tenant: TenantRecord;
  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'rl');
    t = await createTestApp(database, limitsEnv({ userBurst: 5, tenantBurst: 8 }));
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  const get = (token: string, url = '/api/v1/me') => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it('lets a user make a burst of requests, then answers 429 problem+json with Retry-After and RateLimit headers', async () => {
    const token = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await get(token);
      statuses.push(response.statusCode);
      expect(response.headers['ratelimit-limit']).toBe('5');
      expect(response.headers['ratelimit-remaining']).toBe(String(4 - i));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await get(token);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json()).toMatchObject({ type: '/problems/rate-limited', status: 429, title: 'Too many requests' });
    expect(refused.json<{ detail: string }>().detail).toContain('plan "test"');
    // Remembered by the instance: the next refusal needs no database round trip but says the same.
    const again = await get(token);
    expect(again.statusCode).toBe(429);
    expect(again.headers['retry-after']).toBeDefined();
  });

  it('the tenant budget is shared by its users, and a refusal by the tenant costs the user nothing', async () => {
    // 5 requests above used 5 of the tenant's 8; two more users share the remaining 3.
    const second = await t.identity.token({ roles: ['viewer'], tenant: tenant.slug });
    const third = await t.identity.token({ roles: ['viewer'], tenant: tenant.slug });
    expect((await get(second)).statusCode).toBe(200);
    expect((await get(second)).statusCode).toBe(200);
    expect((await get(third)).statusCode).toBe(200);
    const refused = await get(third);
    expect(refused.statusCode).toBe(429);
    expect(refused.json<{ detail: string }>().detail).toContain("your tenant's limit");
    // Another tenant is not affected.
    const other = await createTestTenant(database, 'rl2');
    expect((await get(await t.identity.token({ roles: ['viewer'], tenant: other.slug }))).statusCode).toBe(200);
  });

  it('concurrent requests of many users are counted exactly: no user above its burst, the tenant at its burst', async () => {
    const t2 = await createTestApp(database, limitsEnv({ userBurst: 8, tenantBurst: 30 }));
    try {
      const busy = await createTestTenant(database, 'rlx');
      const tokens = await Promise.all(Array.from({ length: 6 }, () => t2.identity.token({ roles: ['viewer'], tenant: busy.slug })));
      const calls = tokens.flatMap((token, user) => Array.from({ length: 10 }, () => ({ user, token })));
      const responses = await Promise.all(
        calls.map(async ({ user, token }) => ({
          user,
          status: (await t2.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode,
        })),
      );
      const allowed = responses.filter((r) => r.status === 200);
      expect(allowed).toHaveLength(30);
      expect(responses.filter((r) => r.status === 429)).toHaveLength(30);
      for (let user = 0; user < 6; user++) expect(allowed.filter((r) => r.user === user).length).toBeLessThanOrEqual(8);
    } finally {
      await t2.app.close();
    }
  });

  it('does not limit health, readiness, metrics or unauthenticated calls', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    }
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('the operator puts a tenant on a named plan; members read their plan; unknown plans and tenants are refused', async () => {
    const operator = await t.identity.token({ roles: ['operator'] });
    const target = await createTestTenant(database, 'rlp');
    const put = (slug: string, plan: unknown) =>
      t.app.inject({
        method: 'PUT',
        url: `/api/v1/platform/tenants/${slug}/plan`,
        headers: { authorization: `Bearer ${operator}` },
        payload: { plan },
      });
    const plans = await t.app.inject({ method: 'GET', url: '/api/v1/platform/plans', headers: { authorization: `Bearer ${operator}` } });
    expect(plans.statusCode).toBe(200);
    // An operator belongs to no tenant: only the per-user bucket of the default plan applies.
    expect(plans.headers['ratelimit-limit']).toBe('5');
    expect(plans.json<{ defaultPlan: string; items: Array<{ name: string }> }>().items.map((p) => p.name)).toEqual([
      'small',
      'standard',
      'large',
      'test',
    ]);

    const member = await t.identity.token({ roles: ['viewer'], tenant: target.slug });
    expect((await get(member, '/api/v1/limits')).json()).toMatchObject({
      tenant: target.slug,
      enabled: true,
      plan: { name: 'test', userBurst: 5 },
    });
    const changed = await put(target.slug, 'large');
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ plan: { name: 'large', userBurst: 1_000, userStreams: 20 } });
    const after = await get(await t.identity.token({ roles: ['viewer'], tenant: target.slug }), '/api/v1/limits');
    expect(after.json()).toMatchObject({ plan: { name: 'large' } });
    // The headers describe the bucket with the fewest tokens left: the user's or the tenant's of the new plan.
    expect(['1000', '10000']).toContain(after.headers['ratelimit-limit']);

    const unknown = await put(target.slug, 'platinum');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ errors: [{ field: 'plan' }] });
    expect((await put('no_such_tenant', 'large')).statusCode).toBe(404);
    const forbidden = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/platform/tenants/${target.slug}/plan`,
      headers: { authorization: `Bearer ${member}` },
      payload: { plan: 'large' },
    });
    expect(forbidden.statusCode).toBe(403);
  });
});

describe('live stream caps', () => {
  let database: Database;
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    database = await openTestDatabase();
    t = await createTestApp(
      database,
      limitsEnv({
        userBurst: 100_000,
        userPerSecond: 10_000,
        tenantBurst: 100_000,
        tenantPerSecond: 10_000,
        userStreams: 4,
        tenantStreams: 6,
      }),
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  // The full 2,000 on PostgreSQL; PGlite (one connection) proves the same with fewer.
  const ATTEMPTS = testDbKind() === 'postgres' ? 2_000 : 300;

  it('one token cannot open 2,000 streams: it gets its cap, the rest 429 with Retry-After; closing one frees a slot', async () => {
    const tenant = await createTestTenant(database, 'sc');
    const token = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const attempts: StreamAttempt[] = [];
    for (let i = 0; i < ATTEMPTS; i += 50) {
      attempts.push(...(await Promise.all(Array.from({ length: 50 }, () => openStream(base, token)))));
    }
    const open = attempts.filter((a) => a.status === 200);
    const refused = attempts.filter((a) => a.status === 429);
    expect(open).toHaveLength(4);
    expect(refused).toHaveLength(ATTEMPTS - 4);
    expect(new Set(refused.map((a) => a.type))).toEqual(new Set(['/problems/too-many-streams']));
    expect(refused.every((a) => Number(a.retryAfter) >= 1)).toBe(true);

    open[0]?.close();
    let reopened: StreamAttempt | undefined;
    for (let i = 0; i < 50 && reopened?.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      reopened = await openStream(base, token);
    }
    expect(reopened?.status).toBe(200);
    for (const a of [...open, reopened as StreamAttempt]) a.close();
  });

  it('caps a tenant across its users', async () => {
    const tenant = await createTestTenant(database, 'sct');
    const tokens = await Promise.all([1, 2, 3].map(() => t.identity.token({ roles: ['viewer'], tenant: tenant.slug })));
    const attempts: StreamAttempt[] = [];
    for (const token of tokens) for (let i = 0; i < 3; i++) attempts.push(await openStream(base, token));
    expect(attempts.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429]);
    for (const a of attempts) a.close();
  });
});
