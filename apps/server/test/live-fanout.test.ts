import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { notificationsOf, publishEvent } from '../src/modules/notifications/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A reading SSE client that notes when each `{"n": …}` event arrives. */
function openReader(baseUrl: string, token: string) {
  const arrivals = new Map<string, number>();
  let live = false;
  let ended = false;
  let buffer = '';
  const request = http.get(`${baseUrl}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }, (response) => {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      const at = Date.now();
      buffer += chunk;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (block === ': live') live = true;
        const tag = /"tag":"([^"]+)"/.exec(block)?.[1];
        if (tag) arrivals.set(tag, at);
      }
    });
    response.on('close', () => (ended = true));
  });
  return {
    arrivals,
    get live() {
      return live;
    },
    get ended() {
      return ended;
    },
    close: () => request.destroy(),
  };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe(`live fan-out with a slow client on ${testDbKind()}`, () => {
  let database: Database;
  let tenant: TenantRecord;
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'fan');
    t = await createTestApp(database);
    const settings = notificationsOf(t.app).settings;
    settings.pollMs = 100;
    settings.maxBufferedBytes = 64 * 1024;
    settings.maxStallMs = 3_000;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  const publishOne = async (tag: string, data: Record<string, unknown> = {}): Promise<number> => {
    await withTenant(database.db, tenant.slug, (tx) =>
      publishEvent(tx, { type: 'test.fanout', entityType: 'test', entityId: tag, data: { tag, ...data } }),
    );
    return Date.now();
  };

  it('pauses, then cuts off a client that does not read, while the others keep their latency', async () => {
    const { hub } = notificationsOf(t.app);
    const token = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const readers = Array.from({ length: 4 }, () => openReader(baseUrl, token));
    await until(() => readers.every((r) => r.live), 10_000, 'readers to go live');
    const slow = net.connect((t.app.server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
    slow.pause(); // never reads
    await until(() => hub.connectionCount() === 5, 5_000, 'the slow client to join');
    const before = hub.stats();

    // Fill the slow client's buffers (the kernel's first, then the server's): events of 32 KiB until
    // the hub pauses it for good.
    const big = 'x'.repeat(32 * 1024);
    let flood = 0;
    const stalled = async (): Promise<boolean> => {
      if (hub.stats().stalledNow !== 1) return false;
      await sleep(300);
      return hub.stats().stalledNow === 1;
    };
    while (!(await stalled()) && flood < 4_000) {
      await withTenant(database.db, tenant.slug, async (tx) => {
        for (let i = 0; i < 20; i++)
          await publishEvent(tx, { type: 'test.flood', entityType: 'test', entityId: String(flood + i), data: { big } });
      });
      flood += 20;
    }
    expect(hub.stats().stalls).toBeGreaterThan(before.stalls);
    expect(hub.stats().stalledNow).toBe(1);
    expect(hub.stats().maxBuffered).toBeGreaterThanOrEqual(64 * 1024);

    // While it is paused (not yet cut off), the readers get each new event promptly.
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const tag = `during-${i}`;
      const committed = await publishOne(tag);
      await until(() => readers.every((r) => r.arrivals.has(tag)), 5_000, `${tag} at every reader`);
      for (const r of readers) latencies.push((r.arrivals.get(tag) ?? Infinity) - committed);
    }
    expect(hub.connectionCount()).toBe(5);
    // Loose bound on a shared machine: the stalled stream costs the others nothing measurable.
    expect(Math.max(...latencies)).toBeLessThan(1_000);

    // After maxStallMs it is cut off; the readers stay connected and live.
    await until(() => hub.connectionCount() === 4, 10_000, 'the slow client to be cut off');
    expect(hub.stats().cutOff).toBe(before.cutOff + 1);
    const committed = await publishOne('after');
    await until(() => readers.every((r) => r.arrivals.has('after')), 5_000, 'the event after the cut-off');
    for (const r of readers) {
      expect(r.ended).toBe(false);
      expect((r.arrivals.get('after') ?? Infinity) - committed).toBeLessThan(1_000);
    }
    // One write per stream per batch, however many events are in the batch.
    const stats = hub.stats();
    expect(stats.events).toBeGreaterThanOrEqual(flood + 11);
    expect(stats.writes - before.writes).toBeLessThanOrEqual(5 * (stats.batches - before.batches) + 10);
    for (const r of readers) r.close();
    slow.destroy();
  });
});
