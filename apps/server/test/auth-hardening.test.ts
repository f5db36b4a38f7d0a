import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, TenantRecord } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { setMfaRequiredRoles } from './support/mfa.js';

const DEV_REDIRECT = 'http://localhost:5173/auth/callback';

async function authorize(baseUrl: string, redirectUri: string): Promise<Response> {
  const params = new URLSearchParams({
    client_id: 'yardmaster-web',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: 'x'.repeat(43),
    code_challenge_method: 'S256',
  });
  return fetch(`${baseUrl}/oidc/auth?${params.toString()}`, { redirect: 'manual' });
}

describe('token and redirect hardening (embedded provider)', () => {
  let database: Database;
  let server: EmbeddedTestApp;
  let tenant: TenantRecord;
  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'hard');
    // Password sign-in, not two-step sign-in (auth-mfa.test.ts): this tenant requires none.
    await setMfaRequiredRoles(database, tenant.slug, []);
    server = await startEmbeddedTestApp(database);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  async function tokenIssuedAt(iat: number): Promise<string> {
    const { key, kid } = await server.signingKey();
    return new SignJWT({ realm_access: { roles: ['viewer'] }, org: tenant.slug })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setSubject('future-sub')
      .setIssuer(`${server.baseUrl}/oidc`)
      .setAudience('yardmaster')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key);
  }

  it('refuses a token whose iat is in the future beyond the clock skew with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const future = await fetch(`${server.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${await tokenIssuedAt(now + 600)}` } });
    expect(future.status).toBe(401);
    expect(future.headers.get('content-type')).toContain('application/problem+json');
    expect(((await future.json()) as { detail: string }).detail).toContain('issued in the future');
    // A couple of seconds of clock difference is tolerated.
    const skewed = await fetch(`${server.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${await tokenIssuedAt(now + 2)}` } });
    expect(skewed.status).toBe(200);
  });

  it('does not accept the Vite dev server as a redirect URI unless DEV_WEB_ORIGIN says so', async () => {
    const refused = await authorize(server.baseUrl, DEV_REDIRECT);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('redirect_uri');
    const own = await authorize(server.baseUrl, `${server.baseUrl}/auth/callback`);
    expect(own.status).toBe(303);

    const dev = await startEmbeddedTestApp(database, { NODE_ENV: 'development', DEV_WEB_ORIGIN: 'http://localhost:5173' });
    try {
      const accepted = await authorize(dev.baseUrl, DEV_REDIRECT);
      expect(accepted.status).toBe(303);
      expect(accepted.headers.get('location')).toContain('/oidc/interaction/');
    } finally {
      await dev.close();
    }
  });
});
