import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { buildFleet, type Fleet } from './support/fleet.js';
import { createTestIdentity, type TestIdentity } from './support/identity.js';
import { deployFile, sleep, startDaemon, waitFor, type Daemon } from './support/pg-cluster.js';

const PROXY_PORT = 21031;
const APP_PORTS = [21032, 21033, 21034];
const proxyUrl = `http://127.0.0.1:${PROXY_PORT}`;

/**
 * The "multi-instance" level: three instances behind Debian's HAProxy with deploy/haproxy/haproxy.cfg
 * as it is — no sticky sessions, membership from /readyz, Server-Sent Events streamed unbuffered,
 * and a rolling restart of all three under load without a request failing.
 */
describe('three instances behind HAProxy', () => {
  let database: Database;
  let identity: TestIdentity;
  let slug: string;
  let fleet: Fleet;
  let proxy: Daemon;
  const apps: Array<FastifyInstance | undefined> = [];

  const startInstance = async (i: number): Promise<void> => {
    const { app } = await createTestApp(database, { TRUST_PROXY: 'true' }, { identity });
    await app.listen({ host: '127.0.0.1', port: APP_PORTS[i] ?? 0 });
    apps[i] = app;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    slug = (await createTestTenant(database, 'px')).slug;
    fleet = await buildFleet(database, slug, {
      types: { VAN: [] },
      equipment: { VAN: 3 },
      drivers: [{ quals: [] }, { quals: [] }, { quals: [] }],
    });
    identity = await createTestIdentity();
    for (let i = 0; i < APP_PORTS.length; i++) await startInstance(i);
    proxy = startDaemon('haproxy', ['-db', '-f', deployFile('haproxy/haproxy.cfg')], {
      env: {
        YM_LISTEN: `127.0.0.1:${PROXY_PORT}`,
        ...Object.fromEntries(APP_PORTS.map((port, i) => [`YM_SERVER_${i + 1}`, `127.0.0.1:${port}`])),
      },
    });
    await waitFor(`HAProxy (${proxy.output()})`, async () => (await fetch(`${proxyUrl}/readyz`)).status === 200, 15_000);
  });
  afterAll(async () => {
    await proxy?.stop();
    for (const app of apps) await app?.close();
    await database?.close();
  });

  it('spreads requests over all three instances without stickiness', async () => {
    const served = async (port: number): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/^http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await Promise.all(APP_PORTS.map(served));
    // One client, one keep-alive connection: still every instance gets its share.
    for (let i = 0; i < 9; i++) expect((await fetch(`${proxyUrl}/healthz`)).status).toBe(200);
    const after = await Promise.all(APP_PORTS.map(served));
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([3, 3, 3]);
  });

  it('streams Server-Sent Events through the proxy as they happen', async () => {
    const token = await identity.token({ roles: ['dispatcher'], tenant: slug });
    let text = '';
    const after: Array<() => void> = [];
    const live = new Promise<void>((resolve) => {
      const request = http.get(`${proxyUrl}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }, (response) => {
        expect(response.statusCode).toBe(200);
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes(': live')) resolve();
        });
      });
      request.on('error', () => undefined);
      after.push(() => request.destroy());
    });
    try {
      await live;
      const started = Date.now();
      const created = await fetch(`${proxyUrl}/api/v1/work-orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          siteId: fleet.siteId,
          description: 'live through the proxy',
          priority: 'standard',
          lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
        }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      await waitFor('the event through the proxy', () => text.includes(id), 5_000, 20);
      // Well under the stream's 15 s heartbeat: the proxy did not hold the event back.
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const stop of after) stop();
    }
  });

  it('passes the real client address (X-Forwarded-For, TRUST_PROXY) and drops a forged one', async () => {
    const token = await identity.token({ roles: ['dispatcher'], tenant: slug });
    const body = JSON.stringify({
      siteId: fleet.siteId,
      description: 'from 127.0.0.2',
      priority: 'low',
      lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
    });
    // The client connects from 127.0.0.2; HAProxy reaches the instances from 127.0.0.1.
    const created = await new Promise<{ id: string }>((resolve, reject) => {
      const request = http.request(
        `${proxyUrl}/api/v1/work-orders`,
        {
          method: 'POST',
          localAddress: '127.0.0.2',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            response.statusCode === 201 ? resolve(JSON.parse(text) as { id: string }) : reject(new Error(`${response.statusCode} ${text}`)),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    const admin = await identity.token({ roles: ['admin'], tenant: slug });
    const audit = await fetch(`${proxyUrl}/api/v1/audit?limit=50`, { headers: { authorization: `Bearer ${admin}` } });
    expect(audit.status).toBe(200);
    const events = ((await audit.json()) as { items: Array<{ entityId: string; sourceIp: string | null }> }).items;
    expect(events.find((e) => e.entityId === created.id)?.sourceIp).toBe('127.0.0.2');
  });

  it('restarts all three instances one by one under load with no failed request', async () => {
    const token = await identity.token({ roles: ['dispatcher'], tenant: slug });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const outcomes = new Map<string, number>();
    const note = (key: string): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    let running = true;
    const client = async (c: number): Promise<void> => {
      for (let i = 0; running; i++) {
        try {
          const response =
            i % 2 === 0
              ? await fetch(`${proxyUrl}/api/v1/work-orders`, {
                  method: 'POST',
                  headers: { ...headers, 'idempotency-key': randomUUID() },
                  body: JSON.stringify({
                    siteId: fleet.siteId,
                    description: `rolling ${c}/${i}`,
                    priority: 'low',
                    lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
                  }),
                })
              : await fetch(`${proxyUrl}/api/v1/dispatches?limit=20`, { headers });
          await response.arrayBuffer();
          note(String(response.status));
        } catch (error) {
          note(`network: ${(error as Error).message}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, c) => client(c)));
    await sleep(1_000);
    const servedThroughProxy = async (port: number): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return [...text.matchAll(/^http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/[^"]*"[^}]*\} (\d+)$/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    for (let i = 0; i < APP_PORTS.length; i++) {
      await apps[i]?.close(); // the same graceful close as SIGTERM in main.ts
      apps[i] = undefined;
      await sleep(500);
      await startInstance(i);
      // Back in rotation (two good /readyz checks, then the slow start) once it serves proxied requests.
      await waitFor(`instance ${i + 1} back in rotation`, async () => (await servedThroughProxy(APP_PORTS[i] ?? 0)) > 0, 30_000, 200);
    }
    running = false;
    await load;
    const summary = Object.fromEntries(outcomes);
    const served = (outcomes.get('200') ?? 0) + (outcomes.get('201') ?? 0);
    expect(served).toBeGreaterThan(100);
    expect(Object.keys(summary).filter((k) => k !== '200' && k !== '201')).toEqual([]);
  }, 150_000);
});
