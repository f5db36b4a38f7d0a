import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { checkDispatchInvariants } from './support/dispatch-invariants.js';
import { buildFleet, type Fleet } from './support/fleet.js';
import { createTestIdentity, type TestIdentity } from './support/identity.js';
import { pick, seededRandom } from './support/random.js';

const SEED = Number(process.env.DISPATCH_SEED ?? 7);
const CLIENTS = 50;
const OPERATIONS = 600;

type DispatchBody = { id: string; status: string; driverId: string | null; version: number };

describe(`two server instances sharing one PostgreSQL under concurrent HTTP load (seed ${SEED})`, () => {
  let database: Database;
  let apps: FastifyInstance[] = [];
  let urls: string[] = [];
  let identity: TestIdentity;
  let slug: string;
  let fleet: Fleet;

  beforeAll(async () => {
    database = await openTestDatabase();
    slug = (await createTestTenant(database, 'inst')).slug;
    fleet = await buildFleet(database, slug, {
      types: { VAN: [], CRANE: ['NCCCO'] },
      equipment: { VAN: 3, CRANE: 2 },
      drivers: [{ quals: [] }, { quals: ['NCCCO'] }, { quals: ['NCCCO'] }, { quals: [] }, { quals: [] }],
    });
    identity = await createTestIdentity();
    apps = [(await createTestApp(database, {}, { identity })).app, (await createTestApp(database, {}, { identity })).app];
    urls = [];
    for (const app of apps) urls.push(await app.listen({ port: 0, host: '127.0.0.1' }));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database.close();
  });

  it('keeps every invariant when clients spread over both instances', async () => {
    const random = seededRandom(SEED);
    const dispatcher = await identity.token({ roles: ['dispatcher'], tenant: slug });
    const driverTokens = await Promise.all(fleet.driverSubjects.map((sub) => identity.token({ roles: ['driver'], tenant: slug, sub })));
    const statuses = new Map<number, number>();
    let next = 0;
    const plan = Array.from({ length: OPERATIONS }, () => ({ roll: random(), a: random(), b: random(), instance: random() < 0.5 ? 0 : 1 }));

    const call = async (instance: number, token: string, method: string, path: string, body?: unknown, ifMatch?: number) => {
      const response = await fetch(`${urls[instance]}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(ifMatch !== undefined ? { 'if-match': `"${ifMatch}"` } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      return response;
    };
    const listed = async (instance: number, status: string): Promise<DispatchBody[]> =>
      (
        (await (await call(instance, dispatcher, 'GET', `/api/v1/dispatches?status=${status}&limit=500`)).json()) as {
          items: DispatchBody[];
        }
      ).items;

    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < plan.length) {
          const op = plan[next++];
          if (!op) break;
          if (op.roll < 0.45) {
            const type = pick(() => op.a, ['VAN', 'CRANE']) ?? 'VAN';
            await call(op.instance, dispatcher, 'POST', '/api/v1/work-orders', {
              siteId: fleet.siteId,
              description: 'two instances',
              priority: pick(() => op.b, ['urgent', 'standard', 'low']),
              lines: [{ equipmentTypeId: fleet.typeIds[type], quantity: 1 }],
            });
          } else if (op.roll < 0.8) {
            const d = pick(() => op.a, await listed(op.instance, 'dispatched,en_route,on_site,returning'));
            if (d) await call(op.instance, dispatcher, 'POST', `/api/v1/dispatches/${d.id}/status`, { status: 'completed' }, d.version);
          } else if (op.roll < 0.9) {
            const d = pick(() => op.a, await listed(op.instance, 'dispatched'));
            const token = d?.driverId ? driverTokens[fleet.driverIds.indexOf(d.driverId)] : undefined;
            if (d && token) await call(op.instance, token, 'POST', `/api/v1/dispatches/${d.id}/decline`, { reason: 'busy' }, d.version);
          } else {
            const d = pick(() => op.a, await listed(op.instance, 'queued'));
            if (d) await call(op.instance, dispatcher, 'POST', `/api/v1/dispatches/${d.id}/cancel`, {}, d.version);
          }
        }
      }),
    );

    // Only success and conflict answers: never a 5xx, never a lost update.
    const unexpected = [...statuses.keys()].filter((s) => ![200, 201, 409].includes(s));
    expect(unexpected).toEqual([]);
    const result = await checkDispatchInvariants(database, slug);
    expect(result.violations.slice(0, 10)).toEqual([]);
    expect(result.assignments).toBeGreaterThan(50);
  }, 180_000);
});
