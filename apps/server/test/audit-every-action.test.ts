import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditHead, listAuditEvents } from '../src/modules/audit/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import type { TestIdentity } from './support/identity.js';

type Who = { token: string; sub: string };

describe(`every state-changing action leaves exactly one audit event (${testDbKind()})`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let slug: string;
  const people: Record<'admin' | 'dispatcher' | 'driver', Who> = {} as never;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    slug = (await createTestTenant(database, 'aud')).slug;
    for (const role of ['admin', 'dispatcher', 'driver'] as const) {
      const sub = `${role}-${slug}`;
      people[role] = { sub, token: await identity.token({ roles: [role], tenant: slug, sub }) };
    }
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  /**
   * Performs one request and checks the caller left exactly the expected events: one for the action
   * itself (plus the status report a finished dispatch produces).
   */
  async function step(
    who: Who,
    method: 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload: unknown,
    action: string | string[],
    ifMatch?: number,
  ) {
    const head = await withTenant(database.db, slug, (tx) => auditHead(tx));
    const res = await app.inject({
      method,
      url,
      payload: payload as object,
      headers: {
        authorization: `Bearer ${who.token}`,
        'user-agent': 'audit-test',
        ...(ifMatch !== undefined ? { 'if-match': `"${ifMatch}"` } : {}),
      },
    });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    const body = res.json<{ id?: string; version?: number }>();
    const events = await withTenant(database.db, slug, (tx) => listAuditEvents(tx, { actor: who.sub }, { afterSequence: head.sequence }));
    expect(
      events.map((e) => e.action),
      `${method} ${url}`,
    ).toEqual([action].flat());
    const event = events[0];
    expect(event?.requestId).toBe(res.headers['x-request-id']);
    expect(event?.userAgent).toBe('audit-test');
    expect(event?.actor).toMatchObject({ subject: who.sub });
    return body;
  }

  it('records one event per action, naming the actor, request and entity', async () => {
    const { admin, dispatcher, driver } = people;
    const q = await step(admin, 'POST', '/api/v1/qualifications', { code: 'Q1', name: 'Q one' }, 'qualification.created');
    await step(admin, 'PATCH', `/api/v1/qualifications/${q.id}`, { name: 'Q uno' }, 'qualification.updated', 1);
    const type = await step(admin, 'POST', '/api/v1/equipment-types', { code: 'VAN', name: 'Van' }, 'equipment_type.created');
    await step(admin, 'PATCH', `/api/v1/equipment-types/${type.id}`, { requiredQualificationIds: [q.id] }, 'equipment_type.updated', 1);
    const van = await step(
      dispatcher,
      'POST',
      '/api/v1/equipment',
      { assetTag: 'VAN-1', name: 'Van 1', equipmentTypeId: type.id },
      'equipment.created',
    );
    await step(dispatcher, 'PATCH', `/api/v1/equipment/${van.id}`, { name: 'Van one' }, 'equipment.updated', 1);
    await step(dispatcher, 'POST', `/api/v1/equipment/${van.id}/maintenance`, { note: 'brakes' }, 'equipment.maintenance');
    await step(admin, 'POST', `/api/v1/equipment/${van.id}/return-to-service`, {}, 'equipment.returned_to_service');
    const site = await step(dispatcher, 'POST', '/api/v1/sites', { name: 'Yard', address: '1 Road' }, 'site.created');
    await step(dispatcher, 'PATCH', `/api/v1/sites/${site.id}`, { notes: 'gate B' }, 'site.updated', 1);
    const d = await step(
      dispatcher,
      'POST',
      '/api/v1/drivers',
      { name: 'Sam', subject: driver.sub, dutyStatus: 'off_duty', qualifications: [{ qualificationId: q.id }] },
      'driver.created',
    );
    await step(dispatcher, 'PATCH', `/api/v1/drivers/${d.id}`, { phone: '+44 161 000 0000' }, 'driver.updated', 1);
    await step(dispatcher, 'POST', `/api/v1/drivers/${d.id}/duty`, { dutyStatus: 'on_duty' }, 'driver.on_duty');
    // A dispatch is audited from birth: its entry into the queue is its own event.
    const wo = await step(
      dispatcher,
      'POST',
      '/api/v1/work-orders',
      { siteId: site.id, description: 'Move pallets', lines: [{ equipmentTypeId: type.id, quantity: 1 }] },
      ['work_order.created', 'dispatch.queued'],
    );
    const dispatchId = (wo as { dispatchIds?: string[] }).dispatchIds?.[0] ?? '';
    let version = (
      await app.inject({ url: `/api/v1/dispatches/${dispatchId}`, headers: { authorization: `Bearer ${dispatcher.token}` } })
    ).json<{ version: number; status: string }>().version;
    for (const status of ['en_route', 'on_site', 'returning'] as const) {
      version =
        (await step(driver, 'POST', `/api/v1/dispatches/${dispatchId}/status`, { status }, `dispatch.${status}`, version)).version ?? 0;
    }
    await step(
      dispatcher,
      'POST',
      `/api/v1/dispatches/${dispatchId}/recall`,
      { reason: 'site closed' },
      ['dispatch.recalled', 'status_report.created', 'dispatch.queued'],
      version,
    );
    await step(dispatcher, 'PATCH', '/api/v1/settings/dispatch', { autoProcessing: false }, 'settings.dispatch_updated');
    const wo2 = await step(
      dispatcher,
      'POST',
      '/api/v1/work-orders',
      { siteId: site.id, description: 'Later', lines: [{ equipmentTypeId: type.id, quantity: 1 }] },
      ['work_order.created', 'dispatch.queued'],
    );
    const queuedId = (wo2 as { dispatchIds?: string[] }).dispatchIds?.[0] ?? '';
    const queued = (
      await app.inject({ url: `/api/v1/dispatches/${queuedId}`, headers: { authorization: `Bearer ${dispatcher.token}` } })
    ).json<{ version: number }>();
    const repri = await step(
      dispatcher,
      'POST',
      `/api/v1/dispatches/${queuedId}/priority`,
      { priority: 'urgent' },
      'dispatch.reprioritised',
      queued.version,
    );
    await step(dispatcher, 'POST', `/api/v1/dispatches/${queuedId}/cancel`, { reason: 'not needed' }, 'dispatch.cancelled', repri.version);
    await step(admin, 'DELETE', `/api/v1/qualifications/${q.id}`, undefined, 'qualification.archived', 2);
  });

  it('leaves no event when the request fails', async () => {
    const head = await withTenant(database.db, slug, (tx) => auditHead(tx));
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/sites',
      payload: { name: '', address: '' },
      headers: { authorization: `Bearer ${people.dispatcher.token}` },
    });
    expect(res.statusCode).toBe(400);
    expect(await withTenant(database.db, slug, (tx) => listAuditEvents(tx, {}, { afterSequence: head.sequence }))).toEqual([]);
  });
});
