import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocaleSettings, Me, Problem, Role } from '@yardmaster/contracts';
import { listAuditEvents } from '../src/modules/audit/index.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import type { TestIdentity } from './support/identity.js';

describe(`tenant locale setting on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let tenant: TenantRecord;
  let other: TenantRecord;
  const as = async (role: Role, slug = tenant.slug) =>
    `Bearer ${await identity.token({ roles: [role], tenant: slug, sub: `${role}-${slug}` })}`;
  const call = async (method: 'GET' | 'PUT', role: Role, payload?: object, slug?: string) =>
    app.inject({
      method,
      url: '/api/v1/settings/locale',
      headers: { authorization: await as(role, slug) },
      ...(payload ? { payload } : {}),
    });
  const me = async (role: Role, slug?: string) =>
    (await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: await as(role, slug) } })).json<Me>();

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    tenant = await createTestTenant(database, 'loc');
    other = await createTestTenant(database, 'loc');
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('is en-GB until an admin chooses, for every role and on /me', async () => {
    for (const role of ['admin', 'dispatcher', 'driver', 'viewer'] as const) {
      const res = await call('GET', role);
      expect(res.statusCode, role).toBe(200);
      expect(res.json<LocaleSettings>(), role).toEqual({ locale: 'en-GB' });
    }
    expect((await me('viewer')).tenant).toMatchObject({ slug: tenant.slug, locale: 'en-GB' });
  });

  it('an admin sets de-DE: every member reads it, on /me too, audited; other tenants keep theirs', async () => {
    const res = await call('PUT', 'admin', { locale: 'de-DE' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<LocaleSettings>()).toEqual({ locale: 'de-DE' });
    expect((await call('GET', 'driver')).json<LocaleSettings>()).toEqual({ locale: 'de-DE' });
    expect((await me('dispatcher')).tenant?.locale).toBe('de-DE');
    expect((await me('admin', other.slug)).tenant?.locale).toBe('en-GB');
    const events = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx, { action: 'settings.locale_updated' }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: { subject: `admin-${tenant.slug}` },
      before: { locale: 'en-GB' },
      after: { locale: 'de-DE' },
    });
  });

  it('refuses a tag outside the supported list with 422 naming the field, and changes nothing', async () => {
    for (const locale of ['xx-YY', 'de', 'de_DE', 'en-gb']) {
      const res = await call('PUT', 'admin', { locale });
      expect(res.statusCode, locale).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json<Problem>().errors?.map((e) => e.field)).toEqual(['locale']);
    }
    // Not a string at all, or an unknown field: the request's shape is wrong (400).
    expect((await call('PUT', 'admin', { locale: 42 })).statusCode).toBe(400);
    expect((await call('PUT', 'admin', { locale: 'fr-FR', extra: true })).statusCode).toBe(400);
    expect((await call('GET', 'admin')).json<LocaleSettings>()).toEqual({ locale: 'de-DE' });
    const events = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx, { action: 'settings.locale_updated' }));
    expect(events).toHaveLength(1);
  });

  it('only admins change it (403, nothing changed)', async () => {
    for (const role of ['dispatcher', 'driver', 'viewer'] as const) {
      const res = await call('PUT', role, { locale: 'fr-FR' });
      expect(res.statusCode, role).toBe(403);
    }
    expect((await call('GET', 'viewer')).json<LocaleSettings>()).toEqual({ locale: 'de-DE' });
    expect((await call('PUT', 'admin', { locale: 'en-GB' })).json<LocaleSettings>()).toEqual({ locale: 'en-GB' });
  });
});
