import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withControl, withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { notificationsOf, publishEvent } from '../src/modules/notifications/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { openStream } from './support/sse.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('live events across two instances (PostgreSQL LISTEN/NOTIFY)', () => {
  let databaseA: Database;
  let databaseB: Database;
  let tenant: TenantRecord;
  let a: TestApp;
  let b: TestApp;
  let baseA: string;
  beforeAll(async () => {
    databaseA = await openTestDatabase();
    databaseB = await openTestDatabase();
    tenant = await createTestTenant(databaseA, 'lvpg');
    a = await createTestApp(databaseA);
    b = await createTestApp(databaseB);
    // Instance A's safety-net poll is out of the way: what A delivers came through NOTIFY.
    notificationsOf(a.app).settings.pollMs = 60_000;
    await a.app.listen({ port: 0, host: '127.0.0.1' });
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    baseA = `http://127.0.0.1:${(a.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await a.app.close();
    await b.app.close();
    await databaseA.close();
    await databaseB.close();
  });

  it('a client on instance A sees an event committed through instance B', async () => {
    const stream = openStream(baseA, await a.identity.token({ roles: ['dispatcher'], tenant: tenant.slug }));
    await stream.ready;
    const started = Date.now();
    await withTenant(databaseB.db, tenant.slug, (tx) =>
      publishEvent(tx, { type: 'dispatch.dispatched', entityType: 'dispatch', entityId: 'd-1', data: {} }),
    );
    await stream.waitFor(1, 2_000);
    expect(stream.messages[0]?.event).toBe('dispatch.dispatched');
    expect(Date.now() - started).toBeLessThan(2_000);
    stream.close();
  });

  it('recovers when its LISTEN connection is killed', async () => {
    const stream = openStream(baseA, await a.identity.token({ roles: ['viewer'], tenant: tenant.slug }));
    await stream.ready;
    await withControl(databaseA.db, (tx) =>
      sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'yardmaster-listen' and datname = current_database()`.execute(
        tx,
      ),
    );
    await sleep(600); // reconnects with backoff
    await withTenant(databaseB.db, tenant.slug, (tx) =>
      publishEvent(tx, { type: 'dispatch.recalled', entityType: 'dispatch', entityId: 'd-1', data: {} }),
    );
    await stream.waitFor(1, 3_000);
    expect(stream.messages.map((e) => e.event)).toEqual(['dispatch.recalled']);
    stream.close();
  });

  it('closes open streams on app close without hanging', async () => {
    const c = await createTestApp(databaseA);
    await c.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = openStream(
      `http://127.0.0.1:${(c.app.server.address() as AddressInfo).port}`,
      await c.identity.token({ roles: ['viewer'], tenant: tenant.slug }),
    );
    await stream.opened;
    await sleep(100);
    const started = Date.now();
    await c.app.close();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
