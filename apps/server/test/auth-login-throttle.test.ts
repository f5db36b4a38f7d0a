import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { createOidcBrowser, signInWithCode } from './support/oidc-client.js';
import { ensureLocalUserForTest } from './support/users.js';
import { setMfaRequiredRoles } from './support/mfa.js';

/** A login form of the embedded provider, posted from a given client address (the app trusts X-Forwarded-For here). */
async function openLoginForm(baseUrl: string) {
  const browser = createOidcBrowser(baseUrl);
  const start = await browser.request(
    `/oidc/auth?${new URLSearchParams({ client_id: 'yardmaster-web', response_type: 'code', redirect_uri: `${baseUrl}/auth/callback`, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString()}`,
  );
  const page = await browser.request(start.headers.get('location') ?? '');
  const action = /action="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return async (email: string, password: string, from: string): Promise<{ status: number; retryAfter: string | null }> => {
    const response = await browser.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
      body: new URLSearchParams({ email, password }).toString(),
    });
    await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  };
}

describe(`sign-in throttling per account and per address on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  let tenant: TenantRecord;
  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'thr');
    // Password sign-in, not two-step sign-in (auth-mfa.test.ts): this tenant requires none.
    await setMfaRequiredRoles(database, tenant.slug, []);
    server = await startEmbeddedTestApp(database, { TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('throttles one account across addresses: 5 failures from 5 machines block the 6th machine too', async () => {
    const email = `victim-${tenant.slug}@example.test`;
    await ensureLocalUserForTest(database, { email, password: 'correct horse', tenantSlug: tenant.slug, roles: ['viewer'] });
    const post = await openLoginForm(server.baseUrl);
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) statuses.push((await post(email, `guess ${i}`, `198.51.100.${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const blocked = await post(email.toUpperCase(), 'guess 6', '198.51.100.6');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    // Even the right password waits: the throttle answers before the password is checked.
    expect((await post(email, 'correct horse', '203.0.113.50')).status).toBe(429);
  });

  it('throttles one address across accounts (password spraying): 20 accounts, then the address waits', async () => {
    const post = await openLoginForm(server.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await post(`sprayed${i}-${tenant.slug}@example.test`, 'Winter2026!', '192.0.2.77')).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    const blocked = await post(`sprayed-next-${tenant.slug}@example.test`, 'Winter2026!', '192.0.2.77');
    expect(blocked.status).toBe(429);
    expect(blocked.retryAfter).not.toBeNull();
    // Another address is not affected.
    expect((await post(`sprayed-next-${tenant.slug}@example.test`, 'Winter2026!', '192.0.2.78')).status).toBe(401);
  });

  it('counts an IPv6 client by its /64', async () => {
    const post = await openLoginForm(server.baseUrl);
    for (let i = 0; i < 20; i++)
      expect((await post(`v6-${i}-${tenant.slug}@example.test`, 'x', `2001:db8:1:2::${(i + 1).toString(16)}`)).status).toBe(401);
    expect((await post(`v6-last-${tenant.slug}@example.test`, 'x', '2001:db8:1:2:ffff::1')).status).toBe(429);
  });

  it('a correct password clears the account counter and signs in', async () => {
    const email = `ok-${tenant.slug}@example.test`;
    await ensureLocalUserForTest(database, { email, password: 'correct horse', tenantSlug: tenant.slug, roles: ['viewer'] });
    const post = await openLoginForm(server.baseUrl);
    for (let i = 0; i < 3; i++) expect((await post(email, 'typo', '198.51.100.200')).status).toBe(401);
    const { tokens } = await signInWithCode(server.baseUrl, email, 'correct horse');
    expect(tokens.access_token).toBeTruthy();
    const rows = await database.db.selectFrom('control.login_failures').select('key').where('key', '=', `account:${email}`).execute();
    expect(rows).toEqual([]);
  });
});
