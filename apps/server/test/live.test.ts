import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCaller } from '../src/platform/caller.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { notificationsOf, publishEvent } from '../src/modules/notifications/index.js';
import { createDriver } from '../src/modules/people/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { openStream } from './support/sse.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function publish(
  database: Database,
  slug: string,
  count: number,
  make: (i: number) => { type?: string; data?: Record<string, unknown>; driverIds?: string[] } = () => ({}),
) {
  await withTenant(database.db, slug, async (tx) => {
    for (let i = 0; i < count; i++) {
      const e = make(i);
      await publishEvent(tx, {
        type: e.type ?? 'test.happened',
        entityType: 'test',
        entityId: `e-${i}`,
        data: e.data ?? { n: i },
        ...(e.driverIds ? { driverIds: e.driverIds } : {}),
      });
    }
  });
}

describe(`live events (SSE) on ${testDbKind()}`, () => {
  let database: Database;
  let tenant: TenantRecord;
  let other: TenantRecord;
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'live');
    other = await createTestTenant(database, 'liveo');
    t = await createTestApp(database);
    const settings = notificationsOf(t.app).settings;
    settings.pollMs = 100;
    settings.maxBufferedBytes = 64 * 1024;
    settings.maxStallMs = 500;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  it('pushes a committed event to a connected client, with id, type and payload', async () => {
    const stream = openStream(baseUrl, await t.identity.token({ roles: ['viewer'], tenant: tenant.slug }));
    expect(await stream.opened).toBe(200);
    await stream.ready;
    await publish(database, tenant.slug, 1, () => ({ type: 'dispatch.created', data: { reference: 'D-1' } }));
    const [message] = await stream.waitFor(1);
    expect(message?.event).toBe('dispatch.created');
    const payload = JSON.parse(message?.data ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      id: message?.id,
      type: 'dispatch.created',
      entityType: 'test',
      entityId: 'e-0',
      data: { reference: 'D-1' },
    });
    expect(typeof payload.occurredAt).toBe('string');
    stream.close();
  });

  it('a rolled-back transaction publishes nothing', async () => {
    const stream = openStream(baseUrl, await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug }));
    await stream.ready;
    await expect(
      withTenant(database.db, tenant.slug, async (tx) => {
        await publishEvent(tx, { type: 'test.rolled_back', entityType: 'test', entityId: 'x', data: {} });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await publish(database, tenant.slug, 1, () => ({ type: 'test.kept' }));
    const messages = await stream.waitFor(1);
    await sleep(200);
    expect(messages.map((m) => m.event)).toEqual(['test.kept']);
    stream.close();
  });

  it('replays exactly the missed events, in order, after Last-Event-ID', async () => {
    const token = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const first = openStream(baseUrl, token);
    await first.ready;
    await publish(database, tenant.slug, 1, () => ({ type: 'test.before' }));
    const [seen] = await first.waitFor(1);
    first.close();
    await publish(database, tenant.slug, 50, (i) => ({ type: 'test.missed', data: { n: i } }));
    const again = openStream(baseUrl, token, seen?.id ?? '');
    const replayed = await again.waitFor(50);
    await sleep(200);
    expect(replayed).toHaveLength(50);
    expect(replayed.map((m) => (JSON.parse(m.data) as { data: { n: number } }).data.n)).toEqual([...Array(50).keys()]);
    const ids = replayed.map((m) => Number(m.id));
    expect(ids[0]).toBe(Number(seen?.id) + 1);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // …and it goes on live after the replay.
    await publish(database, tenant.slug, 1, () => ({ type: 'test.after' }));
    const all = await again.waitFor(51);
    expect(all[50]?.event).toBe('test.after');
    again.close();
  });

  it('scopes streams to the tenant, and drivers to events naming them', async () => {
    const driver = await withTenant(database.db, tenant.slug, (tx) =>
      createDriver(tx, systemCaller(tenant.slug), {
        name: 'Dana Driver',
        subject: 'driver-dana',
        dutyStatus: 'on_duty',
        qualifications: [],
      }),
    );
    const otherDriver = await withTenant(database.db, tenant.slug, (tx) =>
      createDriver(tx, systemCaller(tenant.slug), {
        name: 'Otto Other',
        subject: 'driver-otto',
        dutyStatus: 'on_duty',
        qualifications: [],
      }),
    );
    const viewerOfOther = openStream(baseUrl, await t.identity.token({ roles: ['viewer'], tenant: other.slug }));
    const dana = openStream(baseUrl, await t.identity.token({ roles: ['driver'], tenant: tenant.slug, sub: 'driver-dana' }));
    const stranger = openStream(baseUrl, await t.identity.token({ roles: ['driver'], tenant: tenant.slug, sub: 'nobody' }));
    await Promise.all([viewerOfOther.ready, dana.ready, stranger.ready]);
    await publish(database, tenant.slug, 3, (i) => ({
      type: 'dispatch.status_changed',
      data: { n: i },
      driverIds: i === 0 ? [driver.id] : i === 1 ? [otherDriver.id] : [otherDriver.id, driver.id],
    }));
    await publish(database, other.slug, 1, () => ({ type: 'other.tenant' }));
    const forDana = await dana.waitFor(2);
    const forOther = await viewerOfOther.waitFor(1);
    await sleep(200);
    expect(forDana.map((m) => (JSON.parse(m.data) as { data: { n: number } }).data.n)).toEqual([0, 2]);
    expect(forOther.map((m) => m.event)).toEqual(['other.tenant']);
    expect(stranger.messages).toEqual([]); // a driver account linked to no driver record sees nothing
    stranger.close();
    dana.close();
    viewerOfOther.close();
  });

  it('sends resync to a client behind the retention window, then continues live', async () => {
    const token = await t.identity.token({ roles: ['viewer'], tenant: other.slug });
    await publish(database, other.slug, 3);
    const { settings, hub } = notificationsOf(t.app);
    const retention = settings.retentionMs;
    settings.retentionMs = 0;
    await sleep(5);
    await hub.purge([other.slug]);
    settings.retentionMs = retention;
    const stream = openStream(baseUrl, token, '1');
    const [first] = await stream.waitFor(1);
    expect(first?.event).toBe('resync');
    await publish(database, other.slug, 1, () => ({ type: 'test.fresh' }));
    const messages = await stream.waitFor(2);
    expect(messages[1]?.event).toBe('test.fresh');
    stream.close();
  });

  it('sends heartbeat comments on idle streams', async () => {
    const { settings } = notificationsOf(t.app);
    settings.heartbeatMs = 100;
    try {
      const stream = openStream(baseUrl, await t.identity.token({ roles: ['viewer'], tenant: tenant.slug }));
      await stream.opened;
      await sleep(450);
      expect(stream.comments.filter((c) => c === ': heartbeat').length).toBeGreaterThanOrEqual(2);
      expect(stream.messages).toEqual([]);
      stream.close();
    } finally {
      settings.heartbeatMs = 15_000;
    }
  });

  it('rejects a malformed Last-Event-ID and an anonymous client', async () => {
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/events',
      headers: { authorization: `Bearer ${await t.identity.token({ roles: ['viewer'], tenant: tenant.slug })}`, 'last-event-id': 'abc' },
    });
    expect(bad.statusCode).toBe(400);
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/events' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('cuts off a client that does not read, while others keep receiving', async () => {
    const { hub } = notificationsOf(t.app);
    const token = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const port = (t.app.server.address() as AddressInfo).port;
    const slow = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
    slow.pause(); // never reads: the kernel buffers fill, then the server's
    const fast = openStream(baseUrl, token);
    await fast.ready;
    await sleep(200); // the raw client has joined too
    const before = hub.connectionCount();
    expect(before).toBeGreaterThanOrEqual(2);
    const big = 'x'.repeat(32 * 1024);
    const total = 400;
    for (let batch = 0; batch < total / 50; batch++) {
      await publish(database, tenant.slug, 50, (i) => ({ type: 'test.bulk', data: { n: batch * 50 + i, big } }));
    }
    const received = await fast.waitFor(total, 20_000);
    expect(received).toHaveLength(total);
    expect(fast.ended).toBe(false);
    const deadline = Date.now() + 5_000;
    while (hub.connectionCount() > before - 1 && Date.now() < deadline) await sleep(50);
    expect(hub.connectionCount()).toBe(before - 1);
    // The survivor is still live.
    await publish(database, tenant.slug, 1, () => ({ type: 'test.still_live' }));
    expect((await fast.waitFor(total + 1))[total]?.event).toBe('test.still_live');
    fast.close();
    slow.destroy();
  });
});
