import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db/index.js';
import { notificationsOf } from '../../src/modules/notifications/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { buildFleet, type Fleet } from '../support/fleet.js';
import { badSamples, createFaultTenant, eventIds, expectIntact, listenOn, openFaultDatabase, sleep, startLoad } from './support.js';

/** A receiver on 127.0.0.1 that answers 204 after `delayMs`; records when each event arrived. */
async function startReceiver(delayMs: number) {
  const arrivals = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const event = String(req.headers['idempotency-key']);
      setTimeout(() => {
        if (!arrivals.has(event)) arrivals.set(event, Date.now());
        res.statusCode = 204;
        res.end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    arrivals,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a slow webhook receiver', () => {
  let database: Database;
  let t: TestApp;
  let baseUrl: string;
  let slug: string;
  let fleet: Fleet;

  beforeAll(async () => {
    ({ database } = await openFaultDatabase({ poolSize: 6, poolTimeoutMs: 2_000 }));
    slug = await createFaultTenant(database, 'hook');
    fleet = await buildFleet(database, slug, {
      types: { VAN: [] },
      equipment: { VAN: 3 },
      drivers: [{ quals: [] }, { quals: [] }, { quals: [] }],
    });
    t = await createTestApp(database);
    const settings = notificationsOf(t.app).settings;
    settings.pollMs = 100;
    settings.webhookTimeoutMs = 8_000;
    settings.webhookLeaseMs = 20_000;
    baseUrl = await listenOn(t.app);
  });
  afterAll(async () => {
    await t?.app.close();
    await database?.close();
  });

  it('neither stalls dispatch nor the other receivers, and its own deliveries still complete', async () => {
    const slow = await startReceiver(3_000);
    const fast = await startReceiver(0);
    const admin = await t.identity.token({ roles: ['admin'], tenant: slug });
    for (const receiver of [slow, fast]) {
      const response = await fetch(`${baseUrl}/api/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, eventTypes: ['*'] }),
      });
      expect(response.status).toBe(201);
    }
    const token = await t.identity.token({ roles: ['dispatcher'], tenant: slug });
    const before = (await eventIds(database, slug)).at(-1) ?? 0; // events before the subscriptions have no deliveries
    const load = startLoad(baseUrl, token, fleet, { clients: 3, pauseMs: 100 });
    await sleep(4_000);
    const samples = await load.stop();
    const stoppedAt = Date.now();
    expect(load.acknowledged.length).toBeGreaterThan(5);

    // Dispatch did not wait for the receiver: every answer came, none failed.
    expect(badSamples(samples).slice(0, 5)).toEqual([]);
    expect(samples.filter((s) => s.status >= 500)).toEqual([]);

    // The fast receiver got every event promptly, although the slow one holds each delivery 3 s.
    const events = (await eventIds(database, slug, before)).map(String);
    expect(events.length).toBeGreaterThan(5);
    const fastDeadline = stoppedAt + 2_000;
    while (events.some((id) => !fast.arrivals.has(id)) && Date.now() < fastDeadline) await sleep(50);
    expect(events.filter((id) => !fast.arrivals.has(id))).toEqual([]);

    // And the slow receiver's deliveries all complete too.
    const slowDeadline = Date.now() + 20_000;
    while (events.some((id) => !slow.arrivals.has(id)) && Date.now() < slowDeadline) await sleep(100);
    expect(events.filter((id) => !slow.arrivals.has(id))).toEqual([]);

    await expectIntact(database, slug, load.acknowledged, load.completed);
    await slow.close();
    await fast.close();
  });
});
