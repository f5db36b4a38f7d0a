import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditVerifyResult, ErasureResult, PersonalDataExport, Problem } from '@yardmaster/contracts';
import { tenantMigrations } from '../src/migrations/tenant/index.js';
import { appendableEvent } from '../src/modules/audit/audit.record.js';
import { listAuditEvents, recordAudit, verifyAuditChain } from '../src/modules/audit/index.js';
import {
  migrateTenantSchema,
  provisionTenant,
  withControl,
  withTenant,
  type Database,
  type TenantRecord,
} from '../src/platform/db/index.js';
import type { Caller } from '../src/platform/caller.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind, uniqueSlug } from './support/db.js';
import { buildFleet } from './support/fleet.js';
import type { TestIdentity } from './support/identity.js';
import { ensureLocalUserForTest } from './support/users.js';

const ANN = { name: 'Ann Ortiz', email: 'ann.ortiz@example.com', phone: '+44 161 555 0101' };

describe(`personal data (GDPR) over HTTP on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let tenant: TenantRecord;
  const annSubject = `ann-${randomUUID()}`;
  let annMemberId: string;
  let annDriverId: string;
  let adminToken: string;
  let annToken: string;

  const call = async (method: 'GET' | 'POST', url: string, token: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    tenant = await createTestTenant(database, 'gd');
    adminToken = await identity.token({ roles: ['admin'], tenant: tenant.slug, sub: 'admin-gd', name: 'Ada Admin' });
    annToken = await identity.token({ roles: ['dispatcher', 'driver'], tenant: tenant.slug, sub: annSubject, name: ANN.name });
    // Her account with the embedded identity provider (found by e-mail: the test tokens' subject is not its id).
    await ensureLocalUserForTest(database, {
      email: ANN.email,
      name: ANN.name,
      password: 'Gravel-2026',
      tenantSlug: tenant.slug,
      roles: ['driver'],
    });
    const fleet = await buildFleet(database, tenant.slug, { types: { TRUCK: [] }, equipment: { TRUCK: 1 }, drivers: [] });

    const member = await call('POST', '/api/v1/users', adminToken, {
      subject: annSubject,
      email: ANN.email,
      name: ANN.name,
      roles: ['dispatcher', 'driver'],
    });
    expect(member.statusCode, member.body).toBe(201);
    annMemberId = member.json<{ id: string }>().id;
    const driver = await call('POST', '/api/v1/drivers', adminToken, { ...ANN, subject: annSubject, dutyStatus: 'on_duty' });
    expect(driver.statusCode, driver.body).toBe(201);
    annDriverId = driver.json<{ id: string }>().id;
    // Ann, as a dispatcher, orders a truck: it is dispatched to Ann the driver (the only one).
    const order = await call('POST', '/api/v1/work-orders', annToken, {
      siteId: fleet.siteId,
      description: 'Deliver gravel',
      lines: [{ equipmentTypeId: fleet.typeIds.TRUCK, quantity: 1 }],
    });
    expect(order.statusCode, order.body).toBe(201);
  });

  afterAll(async () => {
    await app.close();
    await database.close();
  });

  const exportOf = async (id: string, token = adminToken) => call('GET', `/api/v1/users/${id}/personal-data`, token);

  it('exports everything held about the person as a JSON download, and audits it', async () => {
    const res = await exportOf(annMemberId);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="personal-data-${annMemberId}.json"`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const data = res.json<PersonalDataExport>();
    expect(data).toMatchObject({
      format: 'yardmaster.personal-data.v1',
      tenant: tenant.slug,
      membership: { id: annMemberId, subject: annSubject, email: ANN.email, name: ANN.name, active: true },
      account: { email: ANN.email, name: ANN.name, active: true },
      driver: { id: annDriverId, name: ANN.name, email: ANN.email, phone: ANN.phone, subject: annSubject },
    });
    expect(data.dispatches).toHaveLength(1);
    expect(data.dispatches[0]).toMatchObject({ asDriver: true, status: 'dispatched' });
    expect(data.auditEvents.length).toBeGreaterThan(0);
    expect(data.auditEvents.every((e) => e.actor.subject === annSubject && e.actor.name === ANN.name)).toBe(true);
    expect(data.auditEvents.map((e) => e.action)).toContain('work_order.created');
    const exported = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx, { action: 'person.exported' }));
    expect(exported.at(-1)).toMatchObject({ entityId: annMemberId, actor: { subject: 'admin-gd' } });
  });

  it('refuses other roles, bad ids and unknown people with problem bodies', async () => {
    expect((await exportOf(annMemberId, await identity.token({ roles: ['dispatcher'], tenant: tenant.slug }))).statusCode).toBe(403);
    expect((await exportOf(annMemberId, await identity.token({ roles: ['viewer'], tenant: tenant.slug }))).statusCode).toBe(403);
    const bad = await exportOf('not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Problem>()).toMatchObject({ status: 400, errors: [expect.objectContaining({ field: 'params.id' })] });
    const unknown = await exportOf(randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<Problem>().type).toMatch(/not-found/);
    const erasure = await call(
      'POST',
      `/api/v1/users/${annMemberId}/erasure`,
      await identity.token({ roles: ['dispatcher'], tenant: tenant.slug }),
      {
        confirm: ANN.email,
      },
    );
    expect(erasure.statusCode).toBe(403);
    const extra = await call('POST', `/api/v1/users/${annMemberId}/erasure`, adminToken, { confirm: ANN.email, force: true });
    expect(extra.statusCode).toBe(400);
    const missing = await call('POST', `/api/v1/users/${annMemberId}/erasure`, adminToken, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json<Problem>().errors?.[0]?.field).toBe('confirm');
  });

  it('refuses an erasure whose confirmation does not repeat the e-mail, or while the person drives, and changes nothing', async () => {
    const wrong = await call('POST', `/api/v1/users/${annMemberId}/erasure`, adminToken, { confirm: 'someone@example.com' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json<Problem>()).toMatchObject({ status: 422, errors: [{ field: 'confirm' }] });
    const busy = await call('POST', `/api/v1/users/${annMemberId}/erasure`, adminToken, { confirm: ANN.email.toUpperCase() });
    expect(busy.statusCode).toBe(409);
    expect(busy.json<Problem>().detail).toMatch(/active dispatch/);
    const after = (await exportOf(annMemberId)).json<PersonalDataExport>();
    expect(after.membership).toMatchObject({ name: ANN.name, email: ANN.email, active: true });
    expect(after.driver).toMatchObject({ name: ANN.name, archived: false });
    const self = await call('POST', `/api/v1/users/${annMemberId}/erasure`, annToken, { confirm: ANN.email });
    expect(self.statusCode).toBe(403); // Ann is no admin
  });

  it('erases: deactivates the person, pseudonymises their records and the trail, and the chain still verifies', async () => {
    // Free Ann first: her dispatch is recalled and held, so it is not given back to her.
    const mine = (await exportOf(annMemberId)).json<PersonalDataExport>().dispatches[0];
    const dispatch = await call('GET', `/api/v1/dispatches/${mine?.id}`, adminToken);
    const recalled = await call(
      'POST',
      `/api/v1/dispatches/${mine?.id}/recall`,
      adminToken,
      { reason: 'driver leaves', hold: { reason: 'waiting for another driver' } },
      { 'if-match': dispatch.headers.etag as string },
    );
    expect(recalled.statusCode, recalled.body).toBe(200);

    const res = await call('POST', `/api/v1/users/${annMemberId}/erasure`, adminToken, { confirm: ` ${ANN.email} ` });
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json<ErasureResult>();
    expect(result.pseudonym).toMatch(/^erased-[0-9a-f]{12}$/);
    expect(result).toMatchObject({ membershipId: annMemberId, deactivated: true, legacyAuditEventsKept: 0 });
    expect(result.pseudonymised).toMatchObject({ membership: 1, driver: 1, account: 1 });
    expect(result.pseudonymised.auditEvents).toBeGreaterThan(2);

    // Deactivated: every request of Ann is refused at once.
    expect((await call('GET', '/api/v1/work-orders', annToken)).statusCode).toBe(403);
    // Nothing of her name, e-mail or phone is left in what the tenant holds about her.
    const data = (await exportOf(annMemberId)).json<PersonalDataExport>();
    const text = JSON.stringify(data);
    for (const value of [ANN.name, ANN.email, ANN.phone]) expect(text).not.toContain(value);
    expect(data.membership).toMatchObject({ name: result.pseudonym, email: `${result.pseudonym}@erased.invalid`, active: false });
    expect(data.driver).toMatchObject({ name: result.pseudonym, phone: null, archived: true, dutyStatus: 'off_duty' });
    expect(data.auditEvents.every((e) => e.actor.name === result.pseudonym)).toBe(true);
    expect(data.account).toMatchObject({ name: result.pseudonym, email: `${result.pseudonym}@erased.invalid`, active: false });
    const account = await sql<{
      password_hash: string | null;
    }>`select password_hash from control.local_users where id = ${data.account?.id ?? ''}`.execute(database.db);
    expect(account.rows).toEqual([{ password_hash: null }]);
    const trail = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx));
    expect(JSON.stringify(trail)).not.toContain(ANN.email);
    expect(
      JSON.stringify(trail.filter((e) => e.actor.subject === annSubject || e.entityId === annDriverId || e.entityId === annMemberId)),
    ).not.toContain(ANN.name);
    expect(trail.find((e) => e.action === 'person.erased')).toMatchObject({
      entityId: annMemberId,
      after: { pseudonym: result.pseudonym },
    });

    const verify = await call('GET', '/api/v1/audit/verify', adminToken);
    expect(verify.json<AuditVerifyResult>()).toMatchObject({ ok: true, firstBroken: null });

    const again = await call('POST', `/api/v1/users/${annMemberId}/erasure`, adminToken, { confirm: data.membership.email });
    expect(again.statusCode).toBe(409);
  });

  it('refuses to erase oneself', async () => {
    const member = await call('POST', '/api/v1/users', adminToken, {
      subject: 'admin-gd',
      email: 'ada@example.com',
      name: 'Ada Admin',
      roles: ['admin'],
    });
    expect(member.statusCode, member.body).toBe(201);
    const res = await call('POST', `/api/v1/users/${member.json<{ id: string }>().id}/erasure`, adminToken, { confirm: 'ada@example.com' });
    expect(res.statusCode).toBe(409);
    expect(res.json<Problem>().detail).toMatch(/yourself/);
  });

  it('a forged personal value is found; a pseudonym nobody registered is too', async () => {
    const slug = (await createTestTenant(database, 'gf')).slug;
    const bob: Caller = {
      kind: 'user',
      subject: 'bob',
      name: 'Bob',
      roles: ['admin'],
      tenantSlug: slug,
      requestId: null,
      sourceIp: null,
      userAgent: null,
    };
    await withTenant(database.db, slug, (tx) =>
      recordAudit(tx, bob, { action: 'x.created', entityType: 'x', entityId: '1', after: { name: 'Bob' } }),
    );
    expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: true, checked: 1 });
    // The database refuses the change outside erasure, even to the owner while the guard is on…
    await expect(
      withControl(database.db, (tx) => sql`update ${sql.id(`t_${slug}`, 'audit_events')} set actor_name = 'Mallory'`.execute(tx)),
    ).rejects.toThrow(/append-only/);
    // …and the verifier finds it when made behind its back.
    const forge = async (statement: string) =>
      withControl(database.db, async (tx) => {
        await sql`set local session_replication_role = replica`.execute(tx);
        await sql`select set_config('search_path', ${`t_${slug}`}, true)`.execute(tx);
        await sql.raw(statement).execute(tx);
      });
    await forge(`update audit_events set actor_name = 'Mallory' where sequence = 1`);
    expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: false, firstBroken: { sequence: 1, check: 'personal' } });
    await forge(`update audit_events set actor_name = 'erased-0123456789ab' where sequence = 1`);
    expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: false, firstBroken: { sequence: 1, check: 'personal' } });
    await forge(`update audit_events set actor_name = 'Bob', after = '{"name": "Robert"}' where sequence = 1`);
    expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: false, firstBroken: { sequence: 1, check: 'personal' } });
  });

  it('keeps chains written before keyed hashing valid: old events verify the old way, erasure keeps them and the chain verifies', async () => {
    const slug = uniqueSlug('gl');
    const before = tenantMigrations.filter((m) => m.name !== '202612037000_audit_keyed_personal_hash');
    expect(before).toHaveLength(tenantMigrations.length - 1);
    await provisionTenant(database.db, { slug, name: 'Legacy', timeZone: 'UTC' }, before);
    const carl: Caller = {
      kind: 'user',
      subject: 'carl',
      name: 'Carl Old',
      roles: ['admin'],
      tenantSlug: slug,
      requestId: null,
      sourceIp: null,
      userAgent: null,
    };
    // Written as the version-1 audit_append did: the canonical text with the values themselves.
    await withTenant(database.db, slug, async (tx) => {
      const e = appendableEvent(carl, { action: 'x.created', entityType: 'x', entityId: '1', after: { name: 'Carl Old', n: 1 } }) as {
        s: string[];
        p: Array<{ v: string }>;
      } & Record<string, unknown>;
      const a = e.s.reduce((text, segment, i) => text + (i > 0 ? (e.p[i - 1]?.v ?? '') : '') + segment, '');
      const { s: _s, p: _p, ...rest } = e;
      await sql`select audit_append(${JSON.stringify([{ ...rest, a }])}::jsonb)`.execute(tx);
    });
    await withControl(database.db, (tx) => migrateTenantSchema(tx, slug, tenantMigrations));
    await withTenant(database.db, slug, (tx) =>
      recordAudit(tx, carl, { action: 'x.updated', entityType: 'x', entityId: '1', after: { n: 2 } }),
    );
    expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: true, checked: 2 });

    const admin = await identity.token({ roles: ['admin'], tenant: slug, sub: 'admin-gl' });
    const member = await call('POST', '/api/v1/users', admin, {
      subject: 'carl',
      email: 'carl@example.com',
      name: 'Carl Old',
      roles: ['admin'],
    });
    expect(member.statusCode, member.body).toBe(201);
    const res = await call('POST', `/api/v1/users/${member.json<{ id: string }>().id}/erasure`, admin, { confirm: 'carl@example.com' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<ErasureResult>()).toMatchObject({ legacyAuditEventsKept: 1, pseudonymised: { auditEvents: 2 } });
    const events = await withTenant(database.db, slug, (tx) => listAuditEvents(tx));
    expect(events.map((e) => e.actor.name).slice(0, 2)).toEqual(['Carl Old', res.json<ErasureResult>().pseudonym]);
    expect(await verifyAuditChain(database.db, slug)).toMatchObject({ ok: true, checked: events.length });
  });
});
