import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createLoginThrottle } from '../src/modules/auth/login-throttle.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { createOidcBrowser } from './support/oidc-client.js';
import { ensureLocalUserForTest } from './support/users.js';
import { setMfaRequiredRoles } from './support/mfa.js';

async function failLogin(baseUrl: string, email: string, from: string): Promise<number> {
  const browser = createOidcBrowser(baseUrl);
  const start = await browser.request(
    `/oidc/auth?${new URLSearchParams({ client_id: 'yardmaster-web', response_type: 'code', redirect_uri: `${baseUrl}/auth/callback`, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString()}`,
  );
  const page = await browser.request(start.headers.get('location') ?? '');
  const action = /action="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const response = await browser.request(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
    body: new URLSearchParams({ email, password: 'wrong' }).toString(),
  });
  await response.text();
  return response.status;
}

describe('sign-in throttling shared by two instances on one PostgreSQL', () => {
  let databaseA: Database;
  let databaseB: Database;
  let a: EmbeddedTestApp;
  let b: EmbeddedTestApp;
  let tenant: TenantRecord;
  beforeAll(async () => {
    databaseA = await openTestDatabase();
    databaseB = await openTestDatabase();
    tenant = await createTestTenant(databaseA, 'thrm');
    // Password sign-in, not two-step sign-in (auth-mfa.test.ts): this tenant requires none.
    await setMfaRequiredRoles(databaseA, tenant.slug, []);
    a = await startEmbeddedTestApp(databaseA, { TRUST_PROXY: 'true' });
    b = await startEmbeddedTestApp(databaseB, { TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await databaseA.close();
    await databaseB.close();
  });

  it('failures counted on one instance block the account on the other', async () => {
    const email = `shared-${tenant.slug}@example.test`;
    await ensureLocalUserForTest(databaseA, { email, password: 'correct horse', tenantSlug: tenant.slug, roles: ['viewer'] });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await failLogin(i % 2 === 0 ? a.baseUrl : b.baseUrl, email, `198.51.100.${i + 10}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(await failLogin(b.baseUrl, email, '198.51.100.99')).toBe(429);
    expect(await failLogin(a.baseUrl, email, '198.51.100.98')).toBe(429);
  });

  it("a flood of 12,000 other accounts and addresses does not evict a victim's counter", async () => {
    const throttle = createLoginThrottle(databaseA.db);
    const victim = `flood-victim-${tenant.slug}@example.test`;
    for (let i = 0; i < 5; i++) await throttle.attempt(victim, `203.0.113.${i}`);
    expect(await throttle.attempt(victim, '203.0.113.200')).toBeGreaterThan(0);
    // The old in-memory throttle kept 10,000 keys and dropped the oldest beyond that.
    for (let i = 0; i < 12_000; i += 200) {
      await Promise.all(
        Array.from({ length: 200 }, (_, j) =>
          throttle.attempt(`flood-${i + j}-${tenant.slug}@example.test`, `10.${((i + j) >> 8) & 255}.${(i + j) & 255}.1`),
        ),
      );
    }
    expect(await throttle.attempt(victim, '203.0.113.201')).toBeGreaterThan(0);
    expect(await failLogin(b.baseUrl, victim, '203.0.113.202')).toBe(429);
  });
});
