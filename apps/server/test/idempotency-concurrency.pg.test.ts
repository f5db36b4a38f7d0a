import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { buildFleet } from './support/fleet.js';

const CLIENTS = 24;

/**
 * Many clients send the same `Idempotency-Key` at the same moment over real HTTP, each on its own
 * connection and database transaction (PostgreSQL, pool of 20): exactly one work order is created
 * and every other client gets the first answer replayed, or 422 when its body differs.
 */
describe('Idempotency-Key under concurrency on postgres', () => {
  let database: Database;
  let testApp: TestApp;
  let tenant: TenantRecord;
  let baseUrl: string;
  let token: string;
  let order: Record<string, unknown>;
  const run = randomBytes(3).toString('hex');

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'idem');
    const fleet = await buildFleet(database, tenant.slug, { types: { VAN: [] }, equipment: { VAN: 2 }, drivers: [] });
    testApp = await createTestApp(database);
    await testApp.app.listen({ host: '127.0.0.1', port: 0 });
    const address = testApp.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    token = await testApp.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    order = { siteId: fleet.siteId, priority: 'standard', lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }] };
  });
  afterAll(async () => {
    await testApp?.app.close();
    await database?.close();
  });

  const post = async (key: string, body: unknown) => {
    const response = await fetch(`${baseUrl}/api/v1/work-orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
      body: (await response.json()) as { id?: string },
    };
  };
  const countOrders = (description: string) =>
    withTenant(database.db, tenant.slug, async (tx) => {
      const row = await tx
        .selectFrom('work_orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('description', '=', description)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });

  it(`${CLIENTS} simultaneous requests with one key and one body create one work order`, async () => {
    const description = `same body ${run}`;
    const answers = await Promise.all(Array.from({ length: CLIENTS }, () => post(`same-${run}`, { ...order, description })));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: CLIENTS }, () => 201));
    expect(answers.filter((a) => a.replayed === null)).toHaveLength(1);
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(CLIENTS - 1);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await countOrders(description)).toBe(1);
  });

  it('simultaneous requests with one key and different bodies: one is created, the others get 422', async () => {
    const answers = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => post(`mixed-${run}`, { ...order, description: `mixed ${run} ${i}` })),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    expect(answers.filter((a) => a.status === 422)).toHaveLength(CLIENTS - 1);
    let total = 0;
    for (let i = 0; i < CLIENTS; i++) total += await countOrders(`mixed ${run} ${i}`);
    expect(total).toBe(1);
  });

  it('different keys at the same moment each create their own work order', async () => {
    const description = `distinct ${run}`;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`distinct-${run}-${i}`, { ...order, description })));
    expect(answers.map((a) => [a.status, a.replayed])).toEqual(Array.from({ length: 8 }, () => [201, null]));
    expect(await countOrders(description)).toBe(8);
  });
});
