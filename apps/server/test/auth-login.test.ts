import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalUserForTest } from './support/users.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { createOidcBrowser, signInWithCode, type TokenSet } from './support/oidc-client.js';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { setMfaRequiredRoles } from './support/mfa.js';

describe(`sign-in through the embedded OpenID provider on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  let tenant: TenantRecord;

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'login');
    // Password sign-in, not two-step sign-in (auth-mfa.test.ts): this tenant requires none.
    await setMfaRequiredRoles(database, tenant.slug, []);
    server = await startEmbeddedTestApp(database);
    await ensureLocalUserForTest(database, {
      email: `disp-${tenant.slug}@example.test`,
      password: 'correct horse',
      tenantSlug: tenant.slug,
      roles: ['dispatcher'],
    });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('publishes discovery and JWKS with RS256 only', async () => {
    const discovery = (await (await fetch(`${server.baseUrl}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(`${server.baseUrl}/oidc`);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    const jwks = (await (await fetch(String(discovery.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });

  let tokens: TokenSet;
  it('completes authorization code + PKCE and the access token calls the API', async () => {
    ({ tokens } = await signInWithCode(server.baseUrl, `disp-${tenant.slug}@example.test`, 'correct horse'));
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({
      iss: `${server.baseUrl}/oidc`,
      aud: 'yardmaster',
      org: tenant.slug,
      realm_access: { roles: ['dispatcher'] },
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(300);
    const me = await fetch(`${server.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      roles: ['dispatcher'],
      tenant: { slug: tenant.slug },
      email: `disp-${tenant.slug}@example.test`,
    });
  });

  it('refreshes the access token with the (rotated) refresh token', async () => {
    expect(tokens.refresh_token).toBeTruthy();
    const response = await fetch(`${server.baseUrl}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '', client_id: 'yardmaster-web' }),
    });
    expect(response.status).toBe(200);
    const refreshed = (await response.json()) as TokenSet;
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    const me = await fetch(`${server.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
    expect(me.status).toBe(200);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('keeps its state in the database (sessions, grants, refresh tokens)', async () => {
    const rows = await database.db.selectFrom('control.oidc_payloads').select('model').distinct().execute();
    expect(rows.map((r) => r.model)).toEqual(expect.arrayContaining(['Session', 'Grant', 'RefreshToken']));
  });

  it('refuses a refresh token that was already rotated away', async () => {
    const response = await fetch(`${server.baseUrl}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '', client_id: 'yardmaster-web' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('offers RP-initiated logout back to the web app', async () => {
    const params = new URLSearchParams({ client_id: 'yardmaster-web', post_logout_redirect_uri: `${server.baseUrl}/` });
    const response = await fetch(`${server.baseUrl}/oidc/session/end?${params.toString()}`, { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('form');
  });

  it('refuses to sign in a deactivated account', async () => {
    await ensureLocalUserForTest(database, {
      email: `gone-${tenant.slug}@example.test`,
      password: 'correct horse',
      tenantSlug: tenant.slug,
      roles: ['viewer'],
    });
    await database.db
      .updateTable('control.local_users')
      .set({ active: false })
      .where('email', '=', `gone-${tenant.slug}@example.test`)
      .execute();
    await expect(signInWithCode(server.baseUrl, `gone-${tenant.slug}@example.test`, 'correct horse')).rejects.toThrow(
      /login failed with 401/,
    );
  });

  it('refuses a wrong password and throttles repeated failures', async () => {
    const browser = createOidcBrowser(server.baseUrl);
    const start = await browser.request(
      `/oidc/auth?${new URLSearchParams({ client_id: 'yardmaster-web', response_type: 'code', redirect_uri: `${server.baseUrl}/auth/callback`, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString()}`,
    );
    const page = await browser.request(start.headers.get('location') ?? '');
    const action = /action="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await browser.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: `disp-${tenant.slug}@example.test`, password: 'wrong' }).toString(),
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
  });

  it('rejects an authorization request without PKCE', async () => {
    const res = await fetch(
      `${server.baseUrl}/oidc/auth?${new URLSearchParams({ client_id: 'yardmaster-web', response_type: 'code', redirect_uri: `${server.baseUrl}/auth/callback`, scope: 'openid' }).toString()}`,
      { redirect: 'manual' },
    );
    const location = res.headers.get('location') ?? '';
    expect(location).toContain('error=invalid_request');
  });
});
