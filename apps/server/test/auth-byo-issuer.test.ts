import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerKeys } from '../src/modules/auth/index.js';
import { createOutbound } from '../src/platform/net/outbound.js';
import { listAuditEvents } from '../src/modules/audit/index.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

/** A tenant's own OpenID provider at the process boundary: discovery and JWKS on 127.0.0.1. */
async function startForeignIssuer(): Promise<{
  issuer: string;
  sign: (claims: Record<string, unknown>, audience?: string) => Promise<string>;
  privateKey: CryptoKey;
  stop: () => Promise<void>;
}> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'byo-1', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/realms/dispatch/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs` }));
    } else if (req.url === '/realms/dispatch/protocol/openid-connect/certs') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/realms/dispatch`;
  return {
    issuer,
    privateKey,
    sign: (claims, audience = 'dispatch-api') =>
      new SignJWT({ name: 'Bea Byo', email: 'bea@byo.example', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'byo-1' })
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'byo-user-1')
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe(`a tenant's own identity provider on ${testDbKind()}`, () => {
  let database: Database;
  let testApp: TestApp;
  let tenantA: TenantRecord;
  let tenantB: TenantRecord;
  let foreign: Awaited<ReturnType<typeof startForeignIssuer>>;
  let adminA: string;
  let adminB: string;
  let registrationId: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    tenantA = await createTestTenant(database, 'byoa');
    tenantB = await createTestTenant(database, 'byob');
    testApp = await createTestApp(database);
    foreign = await startForeignIssuer();
    adminA = await testApp.identity.token({ roles: ['admin'], tenant: tenantA.slug });
    adminB = await testApp.identity.token({ roles: ['admin'], tenant: tenantB.slug });
  });
  afterAll(async () => {
    await foreign.stop();
    await testApp.app.close();
    await database.close();
  });

  const me = async (token: string) =>
    testApp.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
  const register = async (token: string, body: Record<string, unknown>) =>
    testApp.app.inject({ method: 'POST', url: '/api/v1/identity-providers', headers: { authorization: `Bearer ${token}` }, payload: body });

  it('refuses tokens of an issuer no tenant registered', async () => {
    const response = await me(await foreign.sign({ realm_access: { roles: ['dispatch-dispatcher'] } }));
    expect(response.statusCode).toBe(401);
    expect(response.json<{ detail: string }>().detail).toMatch(/untrusted issuer/);
  });

  it('lets a tenant admin register the issuer, audience and role names, audited', async () => {
    const response = await register(adminA, {
      issuer: foreign.issuer,
      audience: 'dispatch-api',
      roleMapping: { 'dispatch-dispatcher': 'dispatcher', 'dispatch-boss': 'admin' },
    });
    expect(response.statusCode).toBe(201);
    registrationId = response.json<{ id: string }>().id;
    const events = await withTenant(database.db, tenantA.slug, (tx) => listAuditEvents(tx, { entityType: 'identity_provider' }));
    expect(events.map((e) => e.action)).toEqual(['identity_provider.registered']);
  });

  it('accepts its tokens for that tenant, with mapped roles', async () => {
    const response = await me(await foreign.sign({ realm_access: { roles: ['dispatch-dispatcher', 'unrelated'] } }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ roles: ['dispatcher'], isOperator: false, tenant: { slug: tenantA.slug } });
  });

  it("does not let the tenant's issuer claim a membership bound to a subject of another issuer", async () => {
    const invite = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${adminA}` },
      payload: { email: 'shared@example.test', roles: ['admin'] },
    });
    expect(invite.statusCode).toBe(201);
    const platformToken = await testApp.identity.token(
      { roles: [], tenant: tenantA.slug, sub: 'shared-subject' },
      { email: 'shared@example.test' },
    );
    expect((await me(platformToken)).json()).toMatchObject({ roles: ['admin'] });
    const byoToken = await foreign.sign({
      sub: 'shared-subject',
      email: 'shared@example.test',
      realm_access: { roles: ['dispatch-dispatcher'] },
    });
    expect((await me(byoToken)).json()).toMatchObject({ subject: 'shared-subject', roles: ['dispatcher'] });
  });

  it('fixes the tenant by registration: a token naming the same tenant passes', async () => {
    const response = await me(await foreign.sign({ org: tenantA.slug, realm_access: { roles: ['dispatch-dispatcher'] } }));
    expect(response.statusCode).toBe(200);
  });

  it('rejects a token of that issuer that claims another tenant (401)', async () => {
    const response = await me(await foreign.sign({ org: tenantB.slug, realm_access: { roles: ['dispatch-boss'] } }));
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('never grants the platform operator role through a tenant issuer', async () => {
    const token = await foreign.sign({ realm_access: { roles: ['operator', 'dispatch-dispatcher'] } });
    const response = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/platform/tenants',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(403);
  });

  it('rejects its tokens for another audience', async () => {
    const response = await me(await foreign.sign({ realm_access: { roles: ['dispatch-dispatcher'] } }, 'not-registered'));
    expect(response.statusCode).toBe(401);
  });

  it('rejects a token claiming that issuer but signed by another key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ realm_access: { roles: ['dispatch-boss'] } })
      .setProtectedHeader({ alg: 'ES256', kid: 'byo-1' })
      .setSubject('mallory')
      .setIssuer(foreign.issuer)
      .setAudience('dispatch-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await me(token)).statusCode).toBe(401);
  });

  it('keeps registrations private to the tenant and refuses the same issuer and audience elsewhere', async () => {
    const list = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/identity-providers',
      headers: { authorization: `Bearer ${adminB}` },
    });
    expect(list.json()).toEqual({ items: [] });
    const again = await register(adminB, { issuer: foreign.issuer, audience: 'dispatch-api' });
    expect(again.statusCode).toBe(409);
    const remove = await testApp.app.inject({
      method: 'DELETE',
      url: `/api/v1/identity-providers/${registrationId}`,
      headers: { authorization: `Bearer ${adminB}` },
    });
    expect(remove.statusCode).toBe(404);
  });

  it('lets an operator register an issuer for a tenant', async () => {
    const operator = await testApp.identity.token({ roles: ['operator'] });
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/platform/tenants/${tenantB.slug}/identity-providers`,
      headers: { authorization: `Bearer ${operator}` },
      payload: { issuer: foreign.issuer, audience: 'dispatch-api-b', roleMapping: { 'dispatch-viewer': 'viewer' } },
    });
    expect(response.statusCode).toBe(201);
    const token = await foreign.sign({ realm_access: { roles: ['dispatch-viewer'] } }, 'dispatch-api-b');
    expect((await me(token)).json()).toMatchObject({ roles: ['viewer'], tenant: { slug: tenantB.slug } });
  });

  it('stops trusting the issuer once the registration is removed', async () => {
    const remove = await testApp.app.inject({
      method: 'DELETE',
      url: `/api/v1/identity-providers/${registrationId}`,
      headers: { authorization: `Bearer ${adminA}` },
    });
    expect(remove.statusCode).toBe(204);
    expect((await me(await foreign.sign({ realm_access: { roles: ['dispatch-dispatcher'] } }))).statusCode).toBe(401);
  });
});

describe('tenant issuer keys while the provider is unreachable', () => {
  it('uses the last keys fetched for a bounded grace period, still checking signatures, then refuses', async () => {
    const foreign = await startForeignIssuer();
    const outbound = createOutbound({ allow: ['127.0.0.1'] });
    const withGrace = createIssuerKeys(foreign.issuer, { cacheMaxAgeMs: 0, graceMs: 60_000, timeoutMs: 1_000, outbound });
    const noGrace = createIssuerKeys(foreign.issuer, { cacheMaxAgeMs: 0, graceMs: 0, timeoutMs: 1_000, outbound });
    const token = await foreign.sign({});
    const options = { issuer: foreign.issuer, audience: 'dispatch-api', algorithms: ['RS256', 'ES256'] };
    await expect(jwtVerify(token, withGrace, options)).resolves.toBeTruthy();
    await expect(jwtVerify(token, noGrace, options)).resolves.toBeTruthy();
    await foreign.stop();

    await expect(jwtVerify(token, withGrace, options)).resolves.toBeTruthy();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'byo-1' })
      .setIssuer(foreign.issuer)
      .setAudience('dispatch-api')
      .setExpirationTime('5m')
      .sign(privateKey);
    await expect(jwtVerify(forged, withGrace, options)).rejects.toThrow(/signature/);
    await expect(jwtVerify(token, noGrace, options)).rejects.toThrow(/cannot be reached/);
  });
});
