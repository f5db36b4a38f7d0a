import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { notificationsOf, publishEvent, verifyWebhookSignature } from '../src/modules/notifications/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Received = { body: string; headers: http.IncomingHttpHeaders };

/** A webhook receiver on 127.0.0.1; `answer` decides each response's status. */
async function startReceiver(answer: (request: Received, index: number) => number) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const entry = { body, headers: req.headers };
      received.push(entry);
      res.statusCode = answer(entry, received.length - 1);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe(`outbound webhooks on ${testDbKind()}`, () => {
  let database: Database;
  let tenant: TenantRecord;
  let t: TestApp;
  let adminToken: string;
  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'wh');
    t = await createTestApp(database);
    const settings = notificationsOf(t.app).settings;
    settings.pollMs = 50;
    settings.webhookBackoffMs = 50;
    settings.webhookMaxAttempts = 3;
    adminToken = await t.identity.token({ roles: ['admin'], tenant: tenant.slug });
  });
  afterAll(async () => {
    await t.app.close();
    await database.close();
  });

  const subscribe = async (url: string, eventTypes: string[]) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { url, eventTypes },
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ id: string; secret: string; url: string; eventTypes: string[] }>();
  };
  const unsubscribe = async (id: string) => {
    const response = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/webhooks/${id}`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.statusCode).toBe(204);
  };
  const publish = (type: string, data: Record<string, unknown> = {}) =>
    withTenant(database.db, tenant.slug, (tx) => publishEvent(tx, { type, entityType: 'dispatch', entityId: 'd-1', data }));
  const deliveries = async (subscriptionId: string) => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/v1/webhooks/${subscriptionId}/deliveries`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.statusCode).toBe(200);
    return response.json<{ items: Array<{ id: string; status: string; attempts: number; eventId: string; eventType: string }> }>().items;
  };
  const delivery = async (id: string) => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/v1/webhook-deliveries/${id}`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.statusCode).toBe(200);
    return response.json<{
      status: string;
      attempts: number;
      attemptLog: Array<{ statusCode: number | null }>;
      payload: Record<string, unknown>;
    }>();
  };

  it('delivers matching events, signed with the secret returned once', async () => {
    const receiver = await startReceiver(() => 204);
    const hook = await subscribe(receiver.url, ['dispatch.dispatched']);
    expect(hook.secret).toMatch(/^whsec_/);
    const shown = await t.app.inject({
      method: 'GET',
      url: `/api/v1/webhooks/${hook.id}`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(shown.json()).not.toHaveProperty('secret');

    await publish('dispatch.created'); // not subscribed
    await publish('dispatch.dispatched', { reference: 'D-7' });
    const [got] = await until('a delivery', () => (receiver.received.length > 0 ? receiver.received : undefined));
    await sleep(200);
    expect(receiver.received).toHaveLength(1);
    const signature = String(got?.headers['x-yardmaster-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(hook.secret, got?.body ?? '', signature)).toBe(true);
    expect(verifyWebhookSignature('whsec_wrong', got?.body ?? '', signature)).toBe(false);
    const body = JSON.parse(got?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'dispatch.dispatched', entityType: 'dispatch', data: { reference: 'D-7' } });
    expect(got?.headers['idempotency-key']).toBe(body.id);
    expect(got?.headers['x-yardmaster-event']).toBe('dispatch.dispatched');
    await unsubscribe(hook.id);
    await receiver.close();
  });

  it('retries with backoff; a receiver failing twice records the event once, with 3 attempts logged', async () => {
    const seen = new Set<string>();
    const receiver = await startReceiver((request, index) => {
      if (index < 2) return 503;
      seen.add(String(request.headers['idempotency-key']));
      return 200;
    });
    const hook = await subscribe(receiver.url, ['*']);
    await publish('dispatch.status_changed', { status: 'en_route' });
    const [item] = await until('the delivery to succeed', async () => {
      const items = await deliveries(hook.id);
      return items[0]?.status === 'delivered' ? items : undefined;
    });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(seen.size).toBe(1);
    expect(item).toMatchObject({ status: 'delivered', attempts: 3, eventType: 'dispatch.status_changed' });
    const detail = await delivery(item?.id ?? '');
    expect(detail.attemptLog.map((a) => a.statusCode)).toEqual([503, 503, 200]);
    await unsubscribe(hook.id);
    await receiver.close();
  });

  it('dead-letters after the last attempt, and an admin can replay it', async () => {
    let healthy = false;
    const receiver = await startReceiver(() => (healthy ? 200 : 500));
    const hook = await subscribe(receiver.url, ['dispatch.cancelled']);
    await publish('dispatch.cancelled');
    const [dead] = await until('the dead letter', async () => {
      const items = await deliveries(hook.id);
      return items[0]?.status === 'dead' ? items : undefined;
    });
    expect(dead?.attempts).toBe(3);
    healthy = true;
    const replay = await t.app.inject({
      method: 'POST',
      url: `/api/v1/webhook-deliveries/${dead?.id}/replay`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(replay.statusCode).toBe(202);
    await until('the replayed delivery', async () => ((await delivery(dead?.id ?? '')).status === 'delivered' ? true : undefined));
    const detail = await delivery(dead?.id ?? '');
    expect(detail.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
    await unsubscribe(hook.id);
    await receiver.close();
  });

  it('pauses a subscription with PATCH (If-Match): paused ones get no deliveries', async () => {
    const receiver = await startReceiver(() => 200);
    const hook = await subscribe(receiver.url, ['dispatch.queued']);
    const patch = (ifMatch: string | undefined, payload: Record<string, unknown>) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/webhooks/${hook.id}`,
        headers: { authorization: `Bearer ${adminToken}`, ...(ifMatch ? { 'if-match': ifMatch } : {}) },
        payload,
      });
    expect((await patch(undefined, { active: false })).statusCode).toBe(428);
    expect((await patch('"7"', { active: false })).statusCode).toBe(409);
    expect((await patch('"1"', { url: 'ftp://x.test/' })).statusCode).toBe(400);
    const paused = await patch('"1"', { active: false });
    expect(paused.statusCode).toBe(200);
    expect(paused.headers.etag).toBe('"2"');
    expect(paused.json()).toMatchObject({ active: false, version: 2 });
    await publish('dispatch.queued');
    await sleep(300);
    expect(receiver.received).toHaveLength(0);
    expect(await deliveries(hook.id)).toEqual([]);
    await unsubscribe(hook.id);
    await receiver.close();
  });

  it('refuses non-http URLs and non-admins', async () => {
    for (const url of ['ftp://example.test/x', 'javascript:alert(1)', 'file:///etc/passwd', 'not a url']) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { url, eventTypes: ['*'] },
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const dispatcher = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: { authorization: `Bearer ${dispatcher}` } });
    expect(response.statusCode).toBe(403);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: { authorization: `Bearer ${adminToken}` } });
    expect(list.statusCode).toBe(200);
  });
  it('sends a signed test delivery to one subscription only, logged like any delivery', async () => {
    const receiver = await startReceiver(() => 200);
    const hook = await subscribe(receiver.url, ['dispatch.dispatched']);
    const other = await subscribe(receiver.url, ['*']);
    const sent = await t.app.inject({
      method: 'POST',
      url: `/api/v1/webhooks/${hook.id}/test`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(sent.statusCode).toBe(202);
    expect(sent.json()).toMatchObject({ subscriptionId: hook.id, eventType: 'webhook.test', status: 'pending' });
    const [got] = await until('the test delivery', () => (receiver.received.length > 0 ? receiver.received : undefined));
    await sleep(200);
    expect(receiver.received).toHaveLength(1);
    expect(got?.headers['x-yardmaster-event']).toBe('webhook.test');
    expect(verifyWebhookSignature(hook.secret, got?.body ?? '', String(got?.headers['x-yardmaster-signature']))).toBe(true);
    expect(JSON.parse(got?.body ?? '{}')).toMatchObject({ type: 'webhook.test', entityType: 'webhook', entityId: hook.id });
    // A second test gets its own delivery (the pair subscription × event stays unique).
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/webhooks/${hook.id}/test`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(again.statusCode).toBe(202);
    await until('the second test delivered', async () =>
      (await deliveries(hook.id)).filter((d) => d.status === 'delivered').length === 2 ? true : undefined,
    );
    expect(await deliveries(other.id)).toHaveLength(0);
    const log = await delivery(sent.json<{ id: string }>().id);
    expect(log.attemptLog.map((a) => a.statusCode)).toEqual([200]);
    const missing = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/00000000-0000-4000-8000-000000000000/test',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: 404 });
    await unsubscribe(hook.id);
    await unsubscribe(other.id);
    await receiver.close();
  });

  it('rotates the secret: returned once, new deliveries signed with it, the old one no longer verifies, never in the audit', async () => {
    const receiver = await startReceiver(() => 200);
    const hook = await subscribe(receiver.url, ['dispatch.dispatched']);
    const stale = await t.app.inject({
      method: 'POST',
      url: `/api/v1/webhooks/${hook.id}/rotate-secret`,
      headers: { authorization: `Bearer ${adminToken}`, 'if-match': '"99"' },
    });
    expect(stale.statusCode).toBe(409);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/webhooks/${hook.id}/rotate-secret`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(rotated.statusCode).toBe(200);
    const body = rotated.json<{ secret: string; version: number }>();
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.secret).not.toBe(hook.secret);
    const shown = await t.app.inject({
      method: 'GET',
      url: `/api/v1/webhooks/${hook.id}`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(shown.json()).not.toHaveProperty('secret');
    await publish('dispatch.dispatched', { reference: 'after-rotation' });
    const [got] = await until('a delivery', () => (receiver.received.length > 0 ? receiver.received : undefined));
    const signature = String(got?.headers['x-yardmaster-signature']);
    expect(verifyWebhookSignature(body.secret, got?.body ?? '', signature)).toBe(true);
    expect(verifyWebhookSignature(hook.secret, got?.body ?? '', signature)).toBe(false);
    const audit = await t.app.inject({
      method: 'GET',
      url: `/api/v1/audit/entities/webhook/${hook.id}/history`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain('webhook.secret_rotated');
    expect(audit.body).not.toContain(body.secret);
    const dispatcherToken = await t.identity.token({ roles: ['dispatcher'], tenant: tenant.slug });
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/webhooks/${hook.id}/rotate-secret`,
      headers: { authorization: `Bearer ${dispatcherToken}` },
    });
    expect(refused.statusCode).toBe(403);
    await unsubscribe(hook.id);
    await receiver.close();
  });
});
