import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationsOf, publishEvent } from '../src/modules/notifications/index.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createOutbound } from '../src/platform/net/outbound.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The 14 kinds of address the security review registered successfully, and a few more. */
const FORBIDDEN = [
  'http://169.254.169.254/latest/meta-data/iam/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://localhost:5432/',
  'http://localhost./hooks',
  'http://[::1]/hooks',
  'http://[::ffff:127.0.0.1]/hooks',
  'http://0x7f000001/hooks',
  'http://127.1/hooks',
  'http://2130706433/hooks',
  'http://0.0.0.0/hooks',
  'http://10.0.0.5/hooks',
  'http://172.16.0.5/hooks',
  'http://192.168.0.5/hooks',
  'http://100.64.0.5/hooks',
  'http://[fd00::5]/hooks',
  'http://[fe80::1]/hooks',
  'http://224.0.0.251/hooks',
];

type Receiver = { url: string; port: number; hits: string[]; close: () => Promise<void> };

async function startServer(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Receiver> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Not a token anyone signed: just names an issuer. */
const junkToken = (issuer: string): string =>
  `${b64({ alg: 'ES256', kid: 'nobody' })}.${b64({ iss: issuer, sub: 'mallory', aud: 'dispatch-api', exp: Math.floor(Date.now() / 1000) + 300 })}.${Buffer.from('junk').toString('base64url')}`;

describe(`outbound calls (SSRF guard) on ${testDbKind()}`, () => {
  let database: Database;
  let tenant: TenantRecord;
  let strict: TestApp;
  let loopbackAllowed: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'ssrf');
    strict = await createTestApp(database, { OUTBOUND_ALLOW: '' });
    loopbackAllowed = await createTestApp(database, {}, { identity: strict.identity });
    // Every instance's worker delivers every tenant's webhooks: the delivery tests start their own app.
    await notificationsOf(strict.app).webhooks.stop();
    await notificationsOf(loopbackAllowed.app).webhooks.stop();
    adminToken = await strict.identity.token({ roles: ['admin'], tenant: tenant.slug });
  });
  afterAll(async () => {
    await strict.app.close();
    await loopbackAllowed.app.close();
    await database.close();
  });

  const auth = () => ({ authorization: `Bearer ${adminToken}` });
  const auditCount = async (t: TestApp) =>
    (await t.app.inject({ method: 'GET', url: '/api/v1/audit?limit=200', headers: auth() })).json<{ items: unknown[] }>().items.length;

  it('refuses every loopback, private, link-local, CGNAT, multicast and metadata receiver at registration (422 naming url)', async () => {
    const auditBefore = await auditCount(strict);
    for (const url of FORBIDDEN) {
      const response = await strict.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        headers: auth(),
        payload: { url, eventTypes: ['*'] },
      });
      expect(response.statusCode, url).toBe(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toEqual(['url']);
    }
    const list = await strict.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: auth() });
    expect(list.json<{ items: unknown[] }>().items).toEqual([]);
    expect(await auditCount(strict)).toBe(auditBefore);
  });

  it('accepts a public receiver, and refuses changing it to a private one', async () => {
    const created = await strict.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: auth(),
      payload: { url: 'https://93.184.215.14/hooks', eventTypes: ['*'] },
    });
    expect(created.statusCode).toBe(201);
    const { id, version } = created.json<{ id: string; version: number }>();
    const patched = await strict.app.inject({
      method: 'PATCH',
      url: `/api/v1/webhooks/${id}`,
      headers: { ...auth(), 'if-match': `"${version}"` },
      payload: { url: 'http://[::ffff:169.254.169.254]/' },
    });
    expect(patched.statusCode).toBe(422);
    expect(patched.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('url');
    const removed = await strict.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}`, headers: auth() });
    expect(removed.statusCode).toBe(204);
  });

  it('refuses an identity provider at a private or metadata address (422 naming issuer), for admins and operators', async () => {
    for (const issuer of [
      'http://127.0.0.1:8080/realms/x',
      'http://169.254.169.254/',
      'http://[::1]/realms/x',
      'http://0x7f000001/realms/x',
    ]) {
      const response = await strict.app.inject({
        method: 'POST',
        url: '/api/v1/identity-providers',
        headers: auth(),
        payload: { issuer, audience: 'x', roleMapping: {} },
      });
      expect(response.statusCode, issuer).toBe(422);
      expect(response.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('issuer');
    }
    const operator = await strict.identity.token({ roles: ['operator'] });
    const byOperator = await strict.app.inject({
      method: 'POST',
      url: `/api/v1/platform/tenants/${tenant.slug}/identity-providers`,
      headers: { authorization: `Bearer ${operator}` },
      payload: { issuer: 'http://10.0.0.1/realms/x', audience: 'x', roleMapping: {} },
    });
    expect(byOperator.statusCode).toBe(422);
  });

  it('checks again at connect time: a name that rebinds to loopback after registration is not called', async () => {
    const receiver = await startServer((_req, res) => res.end('ok'));
    let lookups = 0;
    const rebinding = createOutbound({ resolve: async () => [{ address: lookups++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }] });
    const t = await deliveringApp({ OUTBOUND_ALLOW: '' }, rebinding);
    try {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        headers: auth(),
        payload: { url: `http://rebind.example.test:${receiver.port}/hooks`, eventTypes: ['ssrf.rebind'] },
      });
      expect(created.statusCode).toBe(201);
      const { id } = created.json<{ id: string }>();
      await withTenant(database.db, tenant.slug, (tx) =>
        publishEvent(tx, { type: 'ssrf.rebind', entityType: 'dispatch', entityId: 'd-1', data: {} }),
      );
      notificationsOf(t.app).webhooks.wake(tenant.slug);
      const dead = await until('the delivery to be dead-lettered', async () => {
        const page = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries`, headers: auth() })).json<{
          items: { status: string; lastError: string | null }[];
        }>();
        return page.items.find((d) => d.status === 'dead');
      });
      expect(dead.lastError).toBe('the receiver address is not allowed for outbound calls');
      expect(receiver.hits).toEqual([]);
      await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}`, headers: auth() });
    } finally {
      await t.app.close();
      await rebinding.close();
      await receiver.close();
    }
  });

  const deliveringApp = async (env: Record<string, string>, outbound?: ReturnType<typeof createOutbound>): Promise<TestApp> => {
    const t = await createTestApp(database, env, { identity: strict.identity, ...(outbound ? { outbound } : {}) });
    const settings = notificationsOf(t.app).settings;
    settings.pollMs = 50;
    settings.webhookBackoffMs = 50;
    settings.webhookMaxAttempts = 2;
    return t;
  };

  it('stores only a generic error for a failed delivery (no port-scanner detail)', async () => {
    const closed = await startServer((_req, res) => res.end());
    const url = `${closed.url}/hooks`;
    await closed.close(); // nothing listens there any more: connection refused
    const t = await deliveringApp({});
    try {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        headers: auth(),
        payload: { url, eventTypes: ['ssrf.closed'] },
      });
      expect(created.statusCode).toBe(201);
      const { id } = created.json<{ id: string }>();
      await withTenant(database.db, tenant.slug, (tx) =>
        publishEvent(tx, { type: 'ssrf.closed', entityType: 'dispatch', entityId: 'd-2', data: {} }),
      );
      notificationsOf(t.app).webhooks.wake(tenant.slug);
      const dead = await until('the delivery to be dead-lettered', async () => {
        const page = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries`, headers: auth() })).json<{
          items: { id: string; status: string; lastError: string | null }[];
        }>();
        return page.items.find((d) => d.status === 'dead');
      });
      expect(dead.lastError).toBe('the receiver could not be reached');
      const detail = (await t.app.inject({ method: 'GET', url: `/api/v1/webhook-deliveries/${dead.id}`, headers: auth() })).json<{
        attemptLog: { error: string | null }[];
      }>();
      expect(detail.attemptLog.length).toBeGreaterThan(0);
      for (const attempt of detail.attemptLog) expect(attempt.error).toBe('the receiver could not be reached');
      expect(JSON.stringify(detail)).not.toMatch(/ECONNREFUSED|connect|127\.0\.0\.1:\d+ /);
      await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}`, headers: auth() });
    } finally {
      await t.app.close();
    }
  });

  it('does not fetch a failing issuer on every junk token (negative cache), nor an unregistered issuer at all', async () => {
    const provider = await startServer((_req, res) => {
      res.statusCode = 503;
      res.end('{}');
    });
    const registered = `${provider.url}/realms/registered`;
    const registration = await loopbackAllowed.app.inject({
      method: 'POST',
      url: '/api/v1/identity-providers',
      headers: auth(),
      payload: { issuer: registered, audience: 'dispatch-api', roleMapping: {} },
    });
    expect(registration.statusCode).toBe(201);
    try {
      for (let i = 0; i < 20; i++) {
        const response = await loopbackAllowed.app.inject({
          method: 'GET',
          url: '/api/v1/me',
          headers: { authorization: `Bearer ${junkToken(registered)}` },
        });
        expect(response.statusCode).toBe(401);
      }
      expect(provider.hits.length).toBeLessThanOrEqual(1);
      const before = provider.hits.length;
      for (let i = 0; i < 20; i++) {
        const response = await loopbackAllowed.app.inject({
          method: 'GET',
          url: '/api/v1/me',
          headers: { authorization: `Bearer ${junkToken(`${provider.url}/realms/unregistered-${i}`)}` },
        });
        expect(response.statusCode).toBe(401);
      }
      expect(provider.hits.length).toBe(before);
    } finally {
      const id = registration.json<{ id: string }>().id;
      await loopbackAllowed.app.inject({ method: 'DELETE', url: `/api/v1/identity-providers/${id}`, headers: auth() });
      await provider.close();
    }
  });
});
