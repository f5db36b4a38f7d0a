import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperatorAccount } from '../src/modules/auth/index.js';
import type { Database } from '../src/platform/db/index.js';
import { openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { createTestAuthenticator, type TestAuthenticator } from './support/mfa.js';
import { authorizeIn, createOidcBrowser, setPasswordFromLink } from './support/oidc-client.js';

type Link = { url: string; expiresAt: string };

/**
 * Onboarding a customer with the embedded identity provider and no demo (SEED_DEMO=false), every
 * step over HTTP as docs/identity.md "Onboarding a customer" tells it: operator → tenant with its
 * first admin → the admin invites a dispatcher → the dispatcher creates the first work order.
 */
describe(`onboarding a customer on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  const run = randomBytes(3).toString('hex');
  const slug = `acme_${run}`;
  const operatorEmail = `operator-${run}@example.test`;
  const adminEmail = `Admin-${run}@Acme.example`;
  const dispatcherEmail = `dispatcher-${run}@acme.example`;
  const tokens: Record<string, string> = {};

  const api = async (
    who: string,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  /**
   * Follows a link as its recipient: sets the password, is signed in without typing it again,
   * and, with an authenticator (the tenant requires MFA for admins and dispatchers), enrols it first.
   */
  const accept = async (link: string, password: string, device?: TestAuthenticator): Promise<string> => {
    const browser = createOidcBrowser(server.baseUrl);
    const set = await setPasswordFromLink(browser, link, password);
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/');
    const { tokens: issued, steps } = await authorizeIn(browser, server.baseUrl, undefined, device);
    expect(steps).toEqual(device ? ['enrol', 'continue'] : []);
    if (device) {
      expect(device.recoveryCodes).toHaveLength(10);
      expect(decodeJwt(issued.access_token)).toMatchObject({ amr: ['pwd', 'otp'], acr: 'urn:yardmaster:acr:mfa' });
    }
    return issued.access_token;
  };
  const adminPhone = createTestAuthenticator();
  const dispatcherPhone = createTestAuthenticator();

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await startEmbeddedTestApp(database, { SEED_DEMO: 'false' });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  let adminLink: Link;
  it('1. the platform operator gets a one-time link, sets a password and is signed in', async () => {
    const link = await createOperatorAccount(database.db, { email: operatorEmail, name: 'Olga Operator', publicUrl: server.baseUrl });
    expect(link.url).toMatch(new RegExp(`^${server.baseUrl}/account/set-password\\?token=[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    tokens.operator = await accept(link.url, `Operator-${run}-Pass1`);
    expect(decodeJwt(tokens.operator)).toMatchObject({ realm_access: { roles: ['operator'] } });
    // Single use: the same link again says so and changes nothing.
    const again = await createOidcBrowser(server.baseUrl).request(link.url);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already been used');
  });

  it('2. the operator creates the tenant with its first admin and receives the invitation link', async () => {
    const created = await api('operator', 'POST', '/api/v1/platform/tenants', {
      slug,
      name: 'Acme Haulage',
      timeZone: 'Europe/Berlin',
      adminEmail,
      adminName: 'Ada Admin',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug, name: 'Acme Haulage' });
    adminLink = created.body.invitation as Link;
    expect(adminLink.url).toContain('/account/set-password?token=');
    // A tenant admin cannot do this, nor can an invalid admin e-mail get through.
    const bad = await api('operator', 'POST', '/api/v1/platform/tenants', { slug: `${slug}_x`, name: 'X', adminEmail: 'not-an-email' });
    expect(bad.status).toBe(400);
    expect((await api('operator', 'GET', '/api/v1/platform/tenants')).body.items).not.toContainEqual(
      expect.objectContaining({ slug: `${slug}_x` }),
    );
  });

  it('3. the admin opens the invitation, a weak password is refused without using the link up, then enrols MFA and signs in as admin', async () => {
    const browser = createOidcBrowser(server.baseUrl);
    for (const weak of ['short1A', 'alllowercase1', 'Password1', `${adminEmail}`]) {
      const refused = await setPasswordFromLink(browser, adminLink.url, weak);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('The password needs');
    }
    const mismatch = await setPasswordFromLink(browser, adminLink.url, `Admin-${run}-Pass1`, `Admin-${run}-Pass2`);
    expect(mismatch.status).toBe(400);
    tokens.admin = await accept(adminLink.url, `Admin-${run}-Pass1`, adminPhone);
    const me = await api('admin', 'GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ roles: ['admin'], tenant: { slug } });
    // The invitation of the admin is in the tenant's audit trail, made by the operator.
    const trail = await api('admin', 'GET', '/api/v1/audit?limit=50');
    expect(JSON.stringify(trail.body)).toContain('membership.invited');
    expect(JSON.stringify(trail.body)).toContain('mfa.enrolled');
    // New tenants require MFA for admins and dispatchers.
    expect((await api('admin', 'GET', '/api/v1/settings/mfa')).body).toEqual({ requiredRoles: ['admin', 'dispatcher'] });
  });

  let dispatcherLink: Link;
  it('4. the admin invites a dispatcher; inviting again revokes the first link', async () => {
    const first = await api('admin', 'POST', '/api/v1/users', { email: dispatcherEmail, name: 'Dan Dispatcher', roles: ['dispatcher'] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ email: dispatcherEmail, roles: ['dispatcher'], pending: true });
    expect((first.body.invitation as Link).url).toContain('/account/set-password?token=');
    const second = await api('admin', 'POST', '/api/v1/users', { email: dispatcherEmail, name: 'Dan Dispatcher', roles: ['dispatcher'] });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    dispatcherLink = second.body.invitation as Link;
    expect(dispatcherLink.url).not.toBe((first.body.invitation as Link).url);
    const old = await createOidcBrowser(server.baseUrl).request((first.body.invitation as Link).url);
    expect(old.status).toBe(410);
    expect(await old.text()).toContain('replaced by a newer one');
    // Only admins invite.
    expect((await api('operator', 'POST', '/api/v1/users', { email: `x-${run}@acme.example`, roles: ['viewer'] })).status).toBe(403);
  });

  it('5. the dispatcher accepts, enrols MFA and creates the first work order on a site and a van the admin set up', async () => {
    tokens.dispatcher = await accept(dispatcherLink.url, `Dispatch-${run}-Pass1`, dispatcherPhone);
    expect((await api('dispatcher', 'GET', '/api/v1/me')).body).toMatchObject({ roles: ['dispatcher'], tenant: { slug } });
    const site = await api('admin', 'POST', '/api/v1/sites', { name: 'Main yard', address: '1 Harbour Road' });
    expect(site.status).toBe(201);
    const type = await api('admin', 'POST', '/api/v1/equipment-types', { code: 'VAN', name: 'Van' });
    expect(type.status).toBe(201);
    expect(
      (await api('admin', 'POST', '/api/v1/equipment', { assetTag: 'VAN-1', name: 'Van one', equipmentTypeId: type.body.id })).status,
    ).toBe(201);
    const order = await api('dispatcher', 'POST', '/api/v1/work-orders', {
      siteId: site.body.id,
      description: 'First job',
      priority: 'standard',
      lines: [{ equipmentTypeId: type.body.id, quantity: 1 }],
    });
    expect(order.status).toBe(201);
    // The dispatcher signs in again later with the password they chose.
    const browser = createOidcBrowser(server.baseUrl);
    const { steps } = await authorizeIn(
      browser,
      server.baseUrl,
      { email: dispatcherEmail, password: `Dispatch-${run}-Pass1` },
      dispatcherPhone,
    );
    expect(steps).toEqual(['login', 'otp']);
  });

  it('an expired or forged link gets a page that says so and offers a new link', async () => {
    const { body } = await api('admin', 'POST', '/api/v1/users', { email: `late-${run}@acme.example`, roles: ['viewer'] });
    const link = (body.invitation as Link).url;
    const token = new URL(link).searchParams.get('token') ?? '';
    // The clock moves on 24 hours (the link's row is the only thing that knows its age).
    const { createHash } = await import('node:crypto');
    await sql`update control.account_tokens set expires_at = now() - interval '1 second' where token_hash = ${createHash('sha256').update(token).digest('hex')}`.execute(
      database.db,
    );
    const expired = await createOidcBrowser(server.baseUrl).request(link);
    expect(expired.status).toBe(410);
    const page = await expired.text();
    expect(page).toContain('has expired');
    expect(page).toContain('href="/account/forgot-password"');
    const post = await setPasswordFromLink(createOidcBrowser(server.baseUrl), link, `Late-${run}-Pass1`);
    expect(post.status).toBe(410);
    const forged = await createOidcBrowser(server.baseUrl).request(`/account/set-password?token=${'A'.repeat(43)}`);
    expect(forged.status).toBe(404);
    expect(await forged.text()).toContain('not valid');
  });

  it('an e-mail that has an account with another organisation cannot be invited', async () => {
    const other = await api('operator', 'POST', '/api/v1/platform/tenants', { slug: `${slug}_b`, name: 'Other', adminEmail });
    expect(other.status).toBe(409);
    // …and the tenant was not left half-made: no tenant row, no schema (the clean-up may still be
    // finishing on the embedded engine's single connection: poll briefly).
    const leftovers = async (): Promise<number> => {
      const { rows } = await sql<{ n: number }>`select (select count(*) from control.tenants where slug = ${`${slug}_b`})::int
        + (select count(*) from information_schema.schemata where schema_name = ${`t_${slug}_b`})::int as n`.execute(database.db);
      return rows[0]?.n ?? -1;
    };
    await expect.poll(leftovers, { timeout: 10_000 }).toBe(0);
  });
});
