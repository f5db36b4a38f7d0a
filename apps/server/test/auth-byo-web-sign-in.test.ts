import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../src/modules/audit/index.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

/**
 * A tenant's own OpenID provider at the process boundary: discovery, JWKS and a token endpoint
 * that answers an authorization code with a signed access token (and records what it received).
 */
async function startProvider() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'web-1', alg: 'ES256', use: 'sig' };
  let issuer = '';
  const received: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (req.url === '/idp/.well-known/openid-configuration') {
      send(200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        end_session_endpoint: `${issuer}/logout`,
      });
    } else if (req.url === '/idp/jwks') {
      send(200, { keys: [jwk] });
    } else if (req.url === '/idp/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        received.push(form);
        if (form.get('code') !== 'good-code') return send(400, { error: 'invalid_grant', error_description: 'unknown code' });
        void new SignJWT({ name: 'Wendy Web', email: 'wendy@acme-web.example', roles: ['yard-boss'] })
          .setProtectedHeader({ alg: 'ES256', kid: 'web-1' })
          .setSubject('wendy-1')
          .setIssuer(issuer)
          .setAudience('acme-web-api')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
          .then((accessToken) => send(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300 }));
      });
    } else {
      send(404, {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/idp`;
  return {
    issuer,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe(`web sign-in through a tenant's own identity provider on ${testDbKind()}`, () => {
  let database: Database;
  let testApp: TestApp;
  let acme: TenantRecord;
  let other: TenantRecord;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let adminAcme: string;
  let adminOther: string;
  let registrationId: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    acme = await createTestTenant(database, 'webacme');
    other = await createTestTenant(database, 'webother');
    testApp = await createTestApp(database);
    provider = await startProvider();
    adminAcme = await testApp.identity.token({ roles: ['admin'], tenant: acme.slug });
    adminOther = await testApp.identity.token({ roles: ['admin'], tenant: other.slug });
    // Migrating two tenants on PGlite takes a while on a busy machine.
  }, 240_000);
  afterAll(async () => {
    await provider.stop();
    await testApp.app.close();
    await database.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, token?: string, payload?: Record<string, unknown>) =>
    testApp.app.inject({
      method,
      url,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      ...(payload ? { payload } : {}),
    });
  const auditActions = async (slug: string) =>
    (await withTenant(database.db, slug, (tx) => listAuditEvents(tx, { entityType: 'identity_provider' }))).map((e) => e.action);
  const domainRows = async () => database.db.selectFrom('control.tenant_issuer_domains').selectAll().orderBy('domain').execute();

  it('refuses e-mail domains without the client id the web app signs in with (422, nothing written)', async () => {
    const response = await call('POST', '/api/v1/identity-providers', adminAcme, {
      issuer: provider.issuer,
      audience: 'acme-web-api',
      domains: ['acme-web.example'],
    });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toEqual(['clientId']);
    expect(await domainRows()).toEqual([]);
    expect(await auditActions(acme.slug)).toEqual([]);
  });

  it('refuses a malformed domain with 400 naming the field', async () => {
    const response = await call('POST', '/api/v1/identity-providers', adminAcme, {
      issuer: provider.issuer,
      audience: 'acme-web-api',
      clientId: 'yardmaster',
      domains: ['not a domain'],
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('domains');
  });

  it('registers the provider with its client id and domains (lower-cased), audited', async () => {
    const response = await call('POST', '/api/v1/identity-providers', adminAcme, {
      issuer: provider.issuer,
      audience: 'acme-web-api',
      clientId: 'yardmaster',
      roleMapping: { 'yard-boss': 'admin' },
      regionClaim: 'depot',
      domains: ['Acme-Web.example', 'acme-web.example'],
    });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json<{ id: string; domains: string[] }>();
    registrationId = created.id;
    expect(created.domains).toEqual(['acme-web.example']);
    expect(await auditActions(acme.slug)).toEqual(['identity_provider.registered']);
  });

  it('lists the domains with the registration, to its own tenant only', async () => {
    const own = await call('GET', '/api/v1/identity-providers', adminAcme);
    expect(own.json()).toMatchObject({ items: [{ id: registrationId, domains: ['acme-web.example'], regionClaim: 'depot' }] });
    const theirs = await call('GET', '/api/v1/identity-providers', adminOther);
    expect(theirs.json()).toEqual({ items: [] });
  });

  it('refuses a domain another tenant declared (409), and the other registration is not written', async () => {
    const otherProvider = await startProvider();
    try {
      const response = await call('POST', '/api/v1/identity-providers', adminOther, {
        issuer: otherProvider.issuer,
        audience: 'other-api',
        clientId: 'ym',
        domains: ['other-web.example', 'acme-web.example'],
      });
      expect(response.statusCode).toBe(409);
      expect(response.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('domains');
      expect((await call('GET', '/api/v1/identity-providers', adminOther)).json()).toEqual({ items: [] });
      expect((await domainRows()).map((r) => r.domain)).toEqual(['acme-web.example']);
    } finally {
      await otherProvider.stop();
    }
  });

  it('changes client id, mapping, region claim and domains with PATCH (admins only), audited', async () => {
    const dispatcher = await testApp.identity.token({ roles: ['dispatcher'], tenant: acme.slug });
    expect((await call('PATCH', `/api/v1/identity-providers/${registrationId}`, dispatcher, { regionClaim: 'x' })).statusCode).toBe(403);
    expect((await call('PATCH', `/api/v1/identity-providers/${registrationId}`, adminAcme, {})).statusCode).toBe(400);
    expect((await call('PATCH', `/api/v1/identity-providers/${registrationId}`, adminOther, { regionClaim: 'x' })).statusCode).toBe(404);
    const response = await call('PATCH', `/api/v1/identity-providers/${registrationId}`, adminAcme, {
      roleMapping: { 'yard-boss': 'admin', 'yard-desk': 'dispatcher' },
      regionClaim: 'region',
      domains: ['acme-web.example', 'acme-web.test'],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      clientId: 'yardmaster',
      regionClaim: 'region',
      roleMapping: { 'yard-desk': 'dispatcher' },
      domains: ['acme-web.example', 'acme-web.test'],
    });
    expect(await auditActions(acme.slug)).toEqual(['identity_provider.registered', 'identity_provider.changed']);
    // Taking the client id away while domains remain is refused and changes nothing.
    const refused = await call('PATCH', `/api/v1/identity-providers/${registrationId}`, adminAcme, { clientId: null });
    expect(refused.statusCode).toBe(422);
    expect((await call('GET', '/api/v1/identity-providers', adminAcme)).json()).toMatchObject({ items: [{ clientId: 'yardmaster' }] });
  });

  it("answers the sign-in options of an organisation with its provider's endpoints and the token relay", async () => {
    const response = await call('GET', `/api/v1/sign-in?org=${acme.slug.toUpperCase()}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({
      organisation: { slug: acme.slug, name: acme.name },
      provider: 'organisation',
      issuer: provider.issuer,
      clientId: 'yardmaster',
      scopes: 'openid profile email offline_access',
      metadata: {
        issuer: provider.issuer,
        authorization_endpoint: `${provider.issuer}/auth`,
        token_endpoint: `/api/v1/sign-in/organisations/${acme.slug}/token`,
        end_session_endpoint: `${provider.issuer}/logout`,
      },
    });
  });

  it('finds the organisation from a declared e-mail domain; other addresses use the platform provider', async () => {
    const byDomain = await call('GET', `/api/v1/sign-in?email=${encodeURIComponent('Wendy@ACME-web.example')}`);
    expect(byDomain.json()).toMatchObject({ organisation: { slug: acme.slug }, provider: 'organisation' });
    const undeclared = await call('GET', `/api/v1/sign-in?email=${encodeURIComponent('sam@elsewhere.example')}`);
    expect(undeclared.json()).toEqual({
      organisation: null,
      provider: 'platform',
      issuer: testApp.identity.trusted.issuer,
      clientId: testApp.identity.trusted.clientId,
      scopes: expect.any(String) as string,
    });
    const plainTenant = await call('GET', `/api/v1/sign-in?org=${other.slug}`);
    expect(plainTenant.json()).toMatchObject({ organisation: { slug: other.slug }, provider: 'platform' });
  });

  it('answers 404 for an unknown organisation and 400 for a bad query, as problems', async () => {
    const unknown = await call('GET', '/api/v1/sign-in?org=nosuchorg');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    for (const query of ['', '?org=acme&email=a@b.example', '?email=not-an-email', '?org=a%20b']) {
      const response = await call('GET', `/api/v1/sign-in${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it("relays the web app's code exchange to the provider; the token it returns signs the person in with mapped roles", async () => {
    const relay = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/sign-in/organisations/${acme.slug}/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'good-code',
        redirect_uri: 'http://localhost/auth/callback',
        code_verifier: 'v'.repeat(43),
        client_id: 'yardmaster',
        client_secret: 'never-relayed',
      }).toString(),
    });
    expect(relay.statusCode, relay.body).toBe(200);
    expect(relay.headers['cache-control']).toBe('no-store');
    const sent = provider.received.at(-1);
    expect(sent?.get('code_verifier')).toBe('v'.repeat(43));
    expect(sent?.has('client_secret')).toBe(false);
    const accessToken = relay.json<{ access_token: string }>().access_token;
    const me = await call('GET', '/api/v1/me', accessToken);
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ subject: 'wendy-1', roles: ['admin'], tenant: { slug: acme.slug } });
  });

  it("passes the provider's OAuth error through, and refuses another client id or organisation", async () => {
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const post = (slug: string, payload: string) =>
      testApp.app.inject({
        method: 'POST',
        url: `/api/v1/sign-in/organisations/${slug}/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
    const badCode = await post(acme.slug, form({ grant_type: 'authorization_code', code: 'stale', client_id: 'yardmaster' }));
    expect(badCode.statusCode).toBe(400);
    expect(badCode.json()).toEqual({ error: 'invalid_grant', error_description: 'unknown code' });
    const before = provider.received.length;
    const wrongClient = await post(acme.slug, form({ grant_type: 'authorization_code', code: 'good-code', client_id: 'someone-else' }));
    expect(wrongClient.statusCode).toBe(422);
    const noProvider = await post(other.slug, form({ grant_type: 'authorization_code', code: 'good-code', client_id: 'yardmaster' }));
    expect(noProvider.statusCode).toBe(404);
    const badGrant = await post(acme.slug, form({ grant_type: 'password', client_id: 'yardmaster' }));
    expect(badGrant.statusCode).toBe(400);
    expect(badGrant.headers['content-type']).toContain('application/problem+json');
    expect(provider.received.length).toBe(before);
  });

  it('removing the registration frees its domains', async () => {
    const removed = await testApp.app.inject({
      method: 'DELETE',
      url: `/api/v1/identity-providers/${registrationId}`,
      headers: { authorization: `Bearer ${adminAcme}` },
    });
    expect(removed.statusCode).toBe(204);
    expect(await domainRows()).toEqual([]);
    const byDomain = await call('GET', `/api/v1/sign-in?email=${encodeURIComponent('wendy@acme-web.example')}`);
    expect(byDomain.json()).toMatchObject({ organisation: null, provider: 'platform' });
  });
});
