import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../src/modules/audit/index.js';
import { sql } from 'kysely';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

type Member = {
  id: string;
  subject: string | null;
  email: string | null;
  roles: string[];
  active: boolean;
  pending: boolean;
  version: number;
};

describe(`tenant memberships (users API) on ${testDbKind()}`, () => {
  let database: Database;
  let testApp: TestApp;
  let tenantA: TenantRecord;
  let tenantB: TenantRecord;
  let adminA: string;
  let adminB: string;
  let invited: Member;

  beforeAll(async () => {
    database = await openTestDatabase();
    tenantA = await createTestTenant(database, 'mema');
    tenantB = await createTestTenant(database, 'memb');
    testApp = await createTestApp(database);
    adminA = await testApp.identity.token({ roles: ['admin'], tenant: tenantA.slug, sub: 'admin-a' });
    adminB = await testApp.identity.token({ roles: ['admin'], tenant: tenantB.slug, sub: 'admin-b' });
  });
  afterAll(async () => {
    await testApp.app.close();
    await database.close();
  });

  const call = (
    token: string | undefined,
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    testApp.app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const inviteeToken = (
    roles: Array<'admin' | 'dispatcher' | 'driver' | 'viewer'> = [],
    claims: Record<string, unknown> = {},
    tenant: string | null = tenantA.slug,
  ) => testApp.identity.token({ roles, tenant, sub: 'carol-subject' }, { email: 'Carol@Example.test', ...claims });

  it('lets an admin invite someone by e-mail with roles, audited', async () => {
    const response = await call(adminA, 'POST', '/api/v1/users', { email: 'carol@example.test', name: 'Carol', roles: ['dispatcher'] });
    expect(response.statusCode).toBe(201);
    invited = response.json<Member>();
    expect(invited).toMatchObject({ email: 'carol@example.test', roles: ['dispatcher'], active: true, pending: true, subject: null });
    expect(response.headers.etag).toBe(`"${invited.version}"`);
    const events = await withTenant(database.db, tenantA.slug, (tx) => listAuditEvents(tx, { entityType: 'membership' }));
    expect(events.map((e) => e.action)).toEqual(['membership.invited']);
  });

  it('refuses a second invitation for the same person', async () => {
    const response = await call(adminA, 'POST', '/api/v1/users', { email: 'CAROL@example.test', roles: ['viewer'] });
    expect(response.statusCode).toBe(409);
  });

  it('refuses an invitation without roles with a field error', async () => {
    const response = await call(adminA, 'POST', '/api/v1/users', { email: 'dave@example.test', roles: [] });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('binds the invitation at first sign-in; membership roles replace the token roles', async () => {
    const me = await call(await inviteeToken(['admin']), 'GET', '/api/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ subject: 'carol-subject', roles: ['dispatcher'], tenant: { slug: tenantA.slug } });
    const member = await call(adminA, 'GET', `/api/v1/users/${invited.id}`);
    expect(member.json()).toMatchObject({ subject: 'carol-subject', pending: false });
    invited = member.json<Member>();
    // The token said admin, the tenant says dispatcher: the admin API stays closed.
    expect((await call(await inviteeToken(['admin']), 'GET', '/api/v1/users')).statusCode).toBe(403);
  });

  it('finds the tenant from the membership when the token names none', async () => {
    const me = await call(await inviteeToken([], {}, null), 'GET', '/api/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ tenant: { slug: tenantA.slug }, roles: ['dispatcher'] });
  });

  it('lists members for admins only', async () => {
    const list = await call(adminA, 'GET', '/api/v1/users?limit=10');
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: Member[] }>().items.map((m) => m.id)).toContain(invited.id);
    const dispatcher = await testApp.identity.token({ roles: ['dispatcher'], tenant: tenantA.slug });
    expect((await call(dispatcher, 'GET', '/api/v1/users')).statusCode).toBe(403);
  });

  it('requires If-Match to change roles', async () => {
    const response = await call(adminA, 'PATCH', `/api/v1/users/${invited.id}`, { roles: ['viewer'] });
    expect(response.statusCode).toBe(428);
  });

  it('changes roles with the current version and answers the new ETag', async () => {
    const response = await call(
      adminA,
      'PATCH',
      `/api/v1/users/${invited.id}`,
      { roles: ['viewer', 'driver'] },
      { 'if-match': `"${invited.version}"` },
    );
    expect(response.statusCode).toBe(200);
    const updated = response.json<Member>();
    expect(updated.roles).toEqual(['viewer', 'driver']);
    expect(response.headers.etag).toBe(`"${updated.version}"`);
    expect((await call(await inviteeToken(), 'GET', '/api/v1/me')).json()).toMatchObject({ roles: ['viewer', 'driver'] });
  });

  it('refuses a stale version with 409', async () => {
    const response = await call(
      adminA,
      'PATCH',
      `/api/v1/users/${invited.id}`,
      { roles: ['admin'] },
      { 'if-match': `"${invited.version}"` },
    );
    expect(response.statusCode).toBe(409);
  });

  it('deactivation answers 403 to a valid token of that member, and is audited', async () => {
    const current = (await call(adminA, 'GET', `/api/v1/users/${invited.id}`)).json<Member>();
    const response = await call(adminA, 'PATCH', `/api/v1/users/${invited.id}`, { active: false }, { 'if-match': `"${current.version}"` });
    expect(response.statusCode).toBe(200);
    const me = await call(await inviteeToken(['viewer']), 'GET', '/api/v1/me');
    expect(me.statusCode).toBe(403);
    expect(me.headers['content-type']).toContain('application/problem+json');
    const events = await withTenant(database.db, tenantA.slug, (tx) => listAuditEvents(tx, { entityType: 'membership' }));
    expect(events.map((e) => e.action)).toContain('membership.deactivated');
  });

  it('reactivation lets the member back in', async () => {
    const current = (await call(adminA, 'GET', `/api/v1/users/${invited.id}`)).json<Member>();
    const response = await call(adminA, 'PATCH', `/api/v1/users/${invited.id}`, { active: true }, { 'if-match': `"${current.version}"` });
    expect(response.statusCode).toBe(200);
    expect((await call(await inviteeToken(), 'GET', '/api/v1/me')).statusCode).toBe(200);
  });

  it('keeps an admin from deactivating themselves', async () => {
    const self = (await call(adminA, 'POST', '/api/v1/users', { subject: 'admin-a', roles: ['admin'] })).json<Member>();
    const response = await call(adminA, 'PATCH', `/api/v1/users/${self.id}`, { active: false }, { 'if-match': `"${self.version}"` });
    expect(response.statusCode).toBe(409);
  });

  it("answers 404 to another tenant's admin for a membership id of this tenant", async () => {
    expect((await call(adminB, 'GET', `/api/v1/users/${invited.id}`)).statusCode).toBe(404);
    const patch = await call(adminB, 'PATCH', `/api/v1/users/${invited.id}`, { roles: ['admin'] }, { 'if-match': '"1"' });
    expect(patch.statusCode).toBe(404);
    const list = await call(adminB, 'GET', '/api/v1/users');
    expect(list.json<{ items: Member[] }>().items).toEqual([]);
  });

  it('does not let a token of tenant B use a membership of tenant A', async () => {
    // Carol is a member of A; a token naming B gives her only what B says (no membership there).
    const me = await call(await inviteeToken(['viewer'], {}, tenantB.slug), 'GET', '/api/v1/me');
    expect(me.json()).toMatchObject({ tenant: { slug: tenantB.slug }, roles: ['viewer'] });
    expect((await call(await inviteeToken(['viewer'], {}, tenantB.slug), 'GET', `/api/v1/users/${invited.id}`)).statusCode).toBe(403);
  });

  it('lets PostgreSQL itself keep a tenant transaction to its own membership rows', async () => {
    const seen = await withTenant(database.db, tenantB.slug, (tx) =>
      sql<{ tenant_slug: string }>`select tenant_slug from control.memberships`.execute(tx),
    );
    expect(seen.rows.every((r) => r.tenant_slug === tenantB.slug)).toBe(true);
    const touched = await withTenant(database.db, tenantB.slug, (tx) =>
      sql`update control.memberships set roles = '{admin}' where id = ${invited.id}`.execute(tx),
    );
    expect(Number(touched.numAffectedRows ?? 0)).toBe(0);
    await expect(
      withTenant(database.db, tenantB.slug, (tx) =>
        sql`insert into control.memberships (tenant_slug, subject, roles) values (${tenantA.slug}, 'intruder', '{admin}')`.execute(tx),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });
});
