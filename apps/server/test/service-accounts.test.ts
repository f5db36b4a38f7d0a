import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredIdempotencyKeys } from '../src/modules/integrations/index.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { setMfaRequiredRoles } from './support/mfa.js';
import { signInWithCode } from './support/oidc-client.js';
import { ensureLocalUserForTest } from './support/users.js';

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };
type Account = {
  id: string;
  clientId: string;
  clientSecret: string;
  tokenEndpoint: string;
  roles: string[];
  active: boolean;
  lastTokenAt?: string | null;
};

/**
 * Service accounts of integrations end to end over HTTP with the embedded provider: an admin
 * creates one, the integration (an ERP) obtains tokens with the client-credentials grant and
 * creates work orders with an Idempotency-Key; rotation and revocation take effect at once.
 */
describe(`service accounts and Idempotency-Key on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  let tenant: TenantRecord;
  let adminToken: string;
  let dispatcherToken: string;
  const run = randomBytes(3).toString('hex');
  let order: Record<string, unknown>;

  const api = async (token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  /** The OAuth 2.0 client-credentials grant, as an ERP makes it (HTTP Basic client authentication). */
  const clientCredentials = async (clientId: string, secret: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${server.baseUrl}/oidc/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const listAccounts = async (): Promise<Account[]> => (await api(adminToken, 'GET', '/api/v1/service-accounts')).body.items as Account[];

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'sa');
    // About integrations, not two-step sign-in (auth-mfa.test.ts): this tenant requires none.
    await setMfaRequiredRoles(database, tenant.slug, []);
    server = await startEmbeddedTestApp(database);
    for (const role of ['admin', 'dispatcher'] as const) {
      const email = `${role}-${run}@erp.example`;
      await ensureLocalUserForTest(database, { email, password: `Secret-${run}-1A`, tenantSlug: tenant.slug, roles: [role] });
      const { tokens } = await signInWithCode(server.baseUrl, email, `Secret-${run}-1A`);
      if (role === 'admin') adminToken = tokens.access_token;
      else dispatcherToken = tokens.access_token;
    }
    const site = await api(adminToken, 'POST', '/api/v1/sites', { name: 'Main yard', address: '1 Harbour Road' });
    const type = await api(adminToken, 'POST', '/api/v1/equipment-types', { code: 'VAN', name: 'Van' });
    const van = await api(adminToken, 'POST', '/api/v1/equipment', { assetTag: 'VAN-1', name: 'Van one', equipmentTypeId: type.body.id });
    expect([site.status, type.status, van.status]).toEqual([201, 201, 201]);
    order = {
      siteId: site.body.id,
      description: `ERP order ${run}`,
      priority: 'standard',
      lines: [{ equipmentTypeId: type.body.id, quantity: 1 }],
    };
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  let erp: Account;
  it('an admin creates a service account and sees its secret once; only a hash is stored', async () => {
    const created = await api(adminToken, 'POST', '/api/v1/service-accounts', { name: 'ERP', roles: ['dispatcher'] });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    erp = created.body as unknown as Account;
    expect(erp.clientId).toMatch(/^ymsa-[0-9a-f]{24}$/);
    expect(erp.clientSecret).toMatch(/^ymss_[A-Za-z0-9_-]{43}$/);
    expect(erp.tokenEndpoint).toBe(`${server.baseUrl}/oidc/token`);
    expect(erp).toMatchObject({ roles: ['dispatcher'], active: true });

    const listed = await listAccounts();
    expect(listed).toContainEqual(expect.objectContaining({ id: erp.id, clientId: erp.clientId, active: true }));
    expect(JSON.stringify(listed)).not.toContain(erp.clientSecret);
    expect(listed.every((a) => !('clientSecret' in a))).toBe(true);

    const { rows } = await sql<{ secret_hash: string }>`select secret_hash from control.service_accounts where id = ${erp.id}`.execute(
      database.db,
    );
    expect(rows[0]?.secret_hash).toBe(createHash('sha256').update(erp.clientSecret).digest('hex'));
  });

  it('refuses bad input and other roles, and a refused request creates nothing', async () => {
    const before = (await listAccounts()).length;
    for (const body of [
      { name: 'Root', roles: ['admin'] },
      { name: 'Driver', roles: ['driver'] },
      { name: '', roles: ['viewer'] },
      { name: 'No roles', roles: [] },
      { name: 'Extra', roles: ['viewer'], clientSecret: 'mine' },
    ]) {
      const refused = await api(adminToken, 'POST', '/api/v1/service-accounts', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body).toMatchObject({ status: 400 });
      expect(typeof refused.body.type === 'string' && typeof refused.body.title === 'string').toBe(true);
      expect((refused.body.errors as unknown[]).length).toBeGreaterThan(0);
    }
    const duplicate = await api(adminToken, 'POST', '/api/v1/service-accounts', { name: 'ERP', roles: ['viewer'] });
    expect(duplicate.status).toBe(409);
    expect((await api(dispatcherToken, 'POST', '/api/v1/service-accounts', { name: 'Mine', roles: ['viewer'] })).status).toBe(403);
    expect((await api(dispatcherToken, 'GET', '/api/v1/service-accounts')).status).toBe(403);
    expect((await api(adminToken, 'POST', `/api/v1/service-accounts/${'0'.repeat(8)}-0000-4000-8000-000000000000/revoke`)).status).toBe(
      404,
    );
    expect(await listAccounts()).toHaveLength(before);
  });

  let erpToken: string;
  it('the ERP obtains a token with the client-credentials grant; the API takes its tenant and roles from the account', async () => {
    const granted = await clientCredentials(erp.clientId, erp.clientSecret);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ token_type: 'Bearer' });
    expect(typeof granted.body.expires_in).toBe('number');
    expect(granted.body.refresh_token).toBeUndefined();
    erpToken = String(granted.body.access_token);
    expect(decodeJwt(erpToken)).toMatchObject({
      sub: erp.clientId,
      client_id: erp.clientId,
      org: tenant.slug,
      realm_access: { roles: ['dispatcher'] },
    });

    const me = await api(erpToken, 'GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ roles: ['dispatcher'], tenant: { slug: tenant.slug }, name: 'ERP (service account)' });
    // A dispatcher's token: not an admin.
    expect((await api(erpToken, 'GET', '/api/v1/service-accounts')).status).toBe(403);
    expect(typeof (await listAccounts()).find((a) => a.id === erp.id)?.lastTokenAt).toBe('string');

    const wrong = await clientCredentials(erp.clientId, `${erp.clientSecret.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect((await clientCredentials(`ymsa-${'0'.repeat(24)}`, erp.clientSecret)).status).toBe(401);
  });

  let first: Answer;
  it('creates a work order with an Idempotency-Key twice: one work order, the first answer replayed', async () => {
    const key = `erp-order-${run}`;
    first = await api(erpToken, 'POST', '/api/v1/work-orders', order, { 'idempotency-key': key });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // The same body with its keys in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(order).reverse());
    const again = await api(erpToken, 'POST', '/api/v1/work-orders', reordered, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));

    const listed = await api(adminToken, 'GET', `/api/v1/work-orders?limit=100`);
    const mine = (listed.body.items as Array<{ description: string }>).filter((w) => w.description === order.description);
    expect(mine).toHaveLength(1);

    const other = await api(
      erpToken,
      'POST',
      '/api/v1/work-orders',
      { ...order, description: 'another order' },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ status: 422, type: '/problems/idempotency-key-reused' });
    expect(((await api(adminToken, 'GET', `/api/v1/work-orders?limit=100`)).body.items as unknown[]).length).toBe(
      (listed.body.items as unknown[]).length,
    );

    // The audit trail names the service account as the actor.
    const trail = await api(adminToken, 'GET', `/api/v1/audit?limit=100&actor=${erp.clientId}`);
    expect(trail.status).toBe(200);
    const events = trail.body.items as Array<{ action: string; actor: { subject: string; name: string } }>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.actor.subject === erp.clientId && e.actor.name === 'ERP (service account)')).toBe(true);
  });

  it('keys are checked, kept per tenant for 24 hours and then cleaned up', async () => {
    for (const bad of ['', 'with space', 'x'.repeat(256), 'ü']) {
      const refused = await api(erpToken, 'POST', '/api/v1/work-orders', order, { 'idempotency-key': bad });
      expect(refused.status, bad).toBe(400);
      expect(refused.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    }
    const key = `old-${run}`;
    expect((await api(erpToken, 'POST', '/api/v1/work-orders', order, { 'idempotency-key': key })).status).toBe(201);
    const age = (hours: number) =>
      withTenant(database.db, tenant.slug, (tx) =>
        sql`update idempotency_keys set created_at = now() - make_interval(hours => ${hours}) where key = ${key}`.execute(tx),
      );
    await age(23);
    expect(await withTenant(database.db, tenant.slug, deleteExpiredIdempotencyKeys)).toBe(0);
    expect((await api(erpToken, 'POST', '/api/v1/work-orders', { ...order, description: 'x' }, { 'idempotency-key': key })).status).toBe(
      422,
    );
    // Past 24 hours the key is new again, cleaned up or not.
    await age(25);
    const fresh = await api(erpToken, 'POST', '/api/v1/work-orders', { ...order, description: 'x' }, { 'idempotency-key': key });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    await age(25);
    expect(await withTenant(database.db, tenant.slug, deleteExpiredIdempotencyKeys)).toBeGreaterThanOrEqual(1);
    const left = await withTenant(database.db, tenant.slug, (tx) =>
      tx.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute(),
    );
    expect(left).toEqual([]);
  });

  it('rotating the secret ends the old one at once; revoking ends new and existing tokens at once', async () => {
    const rotated = await api(adminToken, 'POST', `/api/v1/service-accounts/${erp.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    const secret = String(rotated.body.clientSecret);
    expect(secret).not.toBe(erp.clientSecret);
    expect(rotated.body.clientId).toBe(erp.clientId);
    expect((await clientCredentials(erp.clientId, erp.clientSecret)).status).toBe(401);
    const renewed = await clientCredentials(erp.clientId, secret);
    expect(renewed.status).toBe(200);
    const token = String(renewed.body.access_token);
    expect((await api(token, 'GET', '/api/v1/work-orders?limit=1')).status).toBe(200);

    const revoked = await api(adminToken, 'POST', `/api/v1/service-accounts/${erp.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ active: false });
    expect(typeof revoked.body.revokedAt).toBe('string');
    expect(JSON.stringify(revoked.body)).not.toContain(secret);
    // The token was verified a moment ago (its signature check is cached): refused all the same.
    const refused = await api(token, 'GET', '/api/v1/work-orders?limit=1');
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain('revoked');
    expect((await clientCredentials(erp.clientId, secret)).body.error).toBe('invalid_client');
    expect((await api(adminToken, 'POST', `/api/v1/service-accounts/${erp.id}/rotate-secret`)).status).toBe(409);
    expect((await api(adminToken, 'POST', `/api/v1/service-accounts/${erp.id}/revoke`)).status).toBe(409);
    expect((await listAccounts()).find((a) => a.id === erp.id)).toMatchObject({ active: false });

    const trail = await api(adminToken, 'GET', `/api/v1/audit?limit=100`);
    const actions = (trail.body.items as Array<{ action: string }>).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['service_account.created', 'service_account.secret_rotated', 'service_account.revoked']),
    );
    expect(JSON.stringify(trail.body)).not.toContain(secret);
    expect(JSON.stringify(trail.body)).not.toContain(erp.clientSecret);
  });
});
