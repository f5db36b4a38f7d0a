import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { limitsOf } from '../src/modules/limits/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { createTestIdentity } from './support/identity.js';
import { limitsEnv, openStream, type StreamAttempt } from './support/limits.js';

describe('limits shared by two instances on one PostgreSQL', () => {
  let databaseA: Database;
  let databaseB: Database;
  let a: TestApp;
  let b: TestApp;
  let baseA: string;
  let baseB: string;
  beforeAll(async () => {
    databaseA = await openTestDatabase();
    databaseB = await openTestDatabase();
    const identity = await createTestIdentity();
    const env = limitsEnv({ userBurst: 20, tenantBurst: 1_000, userStreams: 4, tenantStreams: 6 });
    a = await createTestApp(databaseA, env, { identity });
    b = await createTestApp(databaseB, env, { identity });
    await a.app.listen({ port: 0, host: '127.0.0.1' });
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    baseA = `http://127.0.0.1:${(a.app.server.address() as AddressInfo).port}`;
    baseB = `http://127.0.0.1:${(b.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await a.app.close();
    await b.app.close();
    await databaseA.close();
    await databaseB.close();
  });

  const get = (t: TestApp, token: string) =>
    t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

  it('one budget: a user alternating between instances gets the burst once, not once per instance', async () => {
    const tenant: TenantRecord = await createTestTenant(databaseA, 'rlm');
    const token = await a.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const allowed = { a: 0, b: 0 };
    for (let i = 0; i < 40; i++) {
      const on = i % 2 === 0 ? 'a' : 'b';
      if ((await get(on === 'a' ? a : b, token)).statusCode === 200) allowed[on]++;
    }
    expect(allowed.a + allowed.b).toBe(20);
    expect(allowed).toEqual({ a: 10, b: 10 });
  });

  it('one budget under concurrency: 80 simultaneous requests on two instances, exactly the burst succeeds', async () => {
    const tenant = await createTestTenant(databaseA, 'rlc');
    const token = await a.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const responses = await Promise.all(Array.from({ length: 80 }, (_, i) => get(i % 2 === 0 ? a : b, token)));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(60);
  });

  it('stream caps count the streams of every instance', async () => {
    const tenant = await createTestTenant(databaseA, 'scm');
    const token = await a.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const attempts: StreamAttempt[] = [];
    for (let i = 0; i < 3; i++) attempts.push(await openStream(baseA, token));
    for (let i = 0; i < 3; i++) attempts.push(await openStream(baseB, token));
    expect(attempts.map((x) => x.status)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(attempts[5]?.type).toBe('/problems/too-many-streams');
    for (const x of attempts) x.close();
  });

  it("a crashed instance's streams expire: its rows stop counting once their heartbeat lapses", async () => {
    const tenant = await createTestTenant(databaseA, 'scx');
    const dead = randomUUID();
    const expiresAt = new Date(Date.now() + 1_500);
    // Another instance registered 6 streams (the tenant cap) and then died without cleaning up.
    await databaseA.db
      .insertInto('control.live_streams')
      .values(
        Array.from({ length: 6 }, (_, i) => ({
          id: randomUUID(),
          instance_id: dead,
          tenant_slug: tenant.slug,
          user_key: `u:${tenant.slug}:ghost${i}`,
          expires_at: expiresAt,
        })),
      )
      .execute();
    const token = await b.identity.token({ roles: ['viewer'], tenant: tenant.slug });
    const refused = await openStream(baseB, token);
    expect(refused.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 100));
    const accepted = await openStream(baseB, token);
    expect(accepted.status).toBe(200);
    accepted.close();
  });

  it("an instance's heartbeat keeps its streams registered and re-registers any the database lost", async () => {
    const tenant = await createTestTenant(databaseA, 'sch');
    const token = await a.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const stream = await openStream(baseA, token);
    expect(stream.status).toBe(200);
    const count = () =>
      databaseA.db
        .selectFrom('control.live_streams')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_slug', '=', tenant.slug)
        .executeTakeFirstOrThrow();
    expect((await count()).n).toBe(1);
    await databaseA.db.deleteFrom('control.live_streams').where('tenant_slug', '=', tenant.slug).execute();
    await limitsOf(a.app).streams.heartbeat();
    expect((await count()).n).toBe(1);
    stream.close();
  });
});
