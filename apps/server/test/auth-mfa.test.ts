import { randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../src/modules/audit/index.js';
import { findLocalUserByEmail } from '../src/modules/auth/local-users.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { createTestAuthenticator, currentStep, totpAt, type TestAuthenticator } from './support/mfa.js';
import { authorizeIn, createOidcBrowser, pkcePair, setPasswordFromLink, type OidcBrowser } from './support/oidc-client.js';
import { ensureLocalUserForTest } from './support/users.js';

type Answer = { status: number; body: Record<string, unknown>; headers: Headers };

/**
 * Two-step sign-in (TOTP, RFC 6238) of the embedded identity provider, over HTTP: enrolment at the
 * first sign-in a tenant requires it, codes computed from the secret the page shows, recovery
 * codes, the throttle, the API guard, admin reset and turning one's own MFA off.
 */
describe(`two-step sign-in (MFA) on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  let tenant: TenantRecord;
  const run = randomBytes(3).toString('hex');
  const admin = { email: `admin-${run}@mfa.example`, password: `Admin-${run}-Pass1` };
  const adminDevice = createTestAuthenticator();
  let adminToken = '';

  const api = async (token: string, method: string, url: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
  };

  const signIn = (login: { email: string; password: string }, device?: TestAuthenticator) =>
    authorizeIn(createOidcBrowser(server.baseUrl), server.baseUrl, login, device);

  /** Opens the provider's sign-in page in `browser` (an authorization request) and returns its form's action. */
  const openSignIn = async (browser: OidcBrowser): Promise<string> => {
    const params = new URLSearchParams({
      client_id: 'yardmaster-web',
      response_type: 'code',
      redirect_uri: `${server.baseUrl}/auth/callback`,
      scope: 'openid profile email offline_access api',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    let response = await browser.request(`/oidc/auth?${params.toString()}`);
    for (let hop = 0; hop < 5 && response.status !== 200; hop++) response = await browser.request(response.headers.get('location') ?? '');
    return /action="([^"]+)"/.exec(await response.text())?.[1] ?? '';
  };
  const post = (browser: OidcBrowser, action: string, body: Record<string, string>) =>
    browser.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });

  const trail = (action: string) =>
    withTenant(database.db, tenant.slug, async (tx) => (await listAuditEvents(tx)).filter((event) => event.action === action));

  /** Invites a person as the admin and has them accept: set a password, sign in, enrol when asked. */
  const invite = async (roles: string[], device?: TestAuthenticator) => {
    const email = `${roles.join('-')}-${randomBytes(3).toString('hex')}@mfa.example`;
    const invited = await api(adminToken, 'POST', '/api/v1/users', { email, name: 'Invited person', roles });
    expect(invited.status).toBe(201);
    const browser = createOidcBrowser(server.baseUrl);
    const password = `Person-${run}-Pass1`;
    expect((await setPasswordFromLink(browser, (invited.body.invitation as { url: string }).url, password)).status).toBe(303);
    const signedIn = await authorizeIn(browser, server.baseUrl, undefined, device);
    return { email, password, memberId: String(invited.body.id), token: signedIn.tokens.access_token, steps: signedIn.steps };
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    tenant = await createTestTenant(database, 'mfa');
    await ensureLocalUserForTest(database, { ...admin, tenantSlug: tenant.slug, roles: ['admin'] });
    server = await startEmbeddedTestApp(database, { SEED_DEMO: 'false' });
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it('a new tenant requires MFA for admin and dispatcher', async () => {
    const stored = await withTenant(database.db, tenant.slug, async (tx) =>
      sql<{ value: unknown }>`select value from tenant_settings where key = 'auth.mfa'`.execute(tx),
    );
    expect(stored.rows[0]?.value).toEqual({ requiredRoles: ['admin', 'dispatcher'] });
  });

  it('an admin enrols at the first sign-in: QR code, key, a code from it, ten recovery codes; the token says pwd+otp', async () => {
    // The enrolment page itself, as the person sees it.
    const browser = createOidcBrowser(server.baseUrl);
    const action = await openSignIn(browser);
    const afterPassword = await post(browser, action, admin);
    expect(afterPassword.status).toBe(200);
    const page = await afterPassword.text();
    expect(page).toContain('<svg role="img" aria-label="QR code');
    expect(page).toMatch(/id="secret">[A-Z2-7 ]{32,}</);
    // A wrong first code enrols nothing and shows the same key again.
    const secretShown = (/id="secret">([^<]+)</.exec(page)?.[1] ?? '').replace(/\s+/g, '');
    const wrong = await post(browser, action.replace(/login$/, 'enrol'), { code: totpAt(secretShown, currentStep() + 5) });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain(`${secretShown.slice(0, 4)} `);

    const { tokens, steps } = await signIn(admin, adminDevice);
    expect(steps).toEqual(['login', 'enrol', 'continue']);
    expect(adminDevice.secret).toBe(secretShown); // the enrolment in progress kept its key
    expect(adminDevice.recoveryCodes).toHaveLength(10);
    expect(new Set(adminDevice.recoveryCodes).size).toBe(10);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ amr: ['pwd', 'otp'], acr: 'urn:yardmaster:acr:mfa' });
    adminToken = tokens.access_token;

    const me = await api(adminToken, 'GET', '/api/v1/me/mfa');
    expect(me.body).toMatchObject({ enrolled: true, recoveryCodesLeft: 10, required: true });
    // At rest: the secret is encrypted, the recovery codes are keyed hashes.
    const user = await findLocalUserByEmail(database.db, admin.email);
    const { rows } = await sql<{ stored: string }>`
      select secret_enc || ' ' || coalesce((select string_agg(code_hash, ' ') from control.local_user_recovery_codes where user_id = ${user?.id}), '') as stored
      from control.local_user_mfa where user_id = ${user?.id}`.execute(database.db);
    const stored = rows[0]?.stored ?? '';
    expect(stored).not.toContain(secretShown);
    for (const code of adminDevice.recoveryCodes) expect(stored).not.toContain(code.replace('-', ''));
    const enrolled = await trail('mfa.enrolled');
    expect(enrolled.map((event) => [event.entityId, event.actor.subject])).toContainEqual([user?.id, user?.id]);
  });

  it('later sign-ins ask for a code; each code works once; a refresh keeps pwd+otp', async () => {
    const first = await signIn(admin, adminDevice);
    expect(first.steps).toEqual(['login', 'otp']);
    expect(decodeJwt(first.tokens.access_token).amr).toEqual(['pwd', 'otp']);
    // The same code again, in another browser: refused (replay).
    const browser = createOidcBrowser(server.baseUrl);
    const action = await openSignIn(browser);
    expect((await post(browser, action, admin)).status).toBe(200);
    const replay = await post(browser, action.replace(/login$/, 'otp'), { code: totpAt(adminDevice.secret ?? '', adminDevice.lastStep) });
    expect(replay.status).toBe(401);
    expect(await replay.text()).toContain('That code is not right');
    // Refreshing keeps how the person signed in.
    const refreshed = await fetch(`${server.baseUrl}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: first.tokens.refresh_token ?? '',
        client_id: 'yardmaster-web',
      }),
    });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token)).toMatchObject({ amr: ['pwd', 'otp'] });
  });

  it('a recovery code signs in once, is audited, and the count goes down', async () => {
    const code = adminDevice.recoveryCodes[0] ?? '';
    adminDevice.nextCode = code.toUpperCase(); // typed in capitals: still the same code
    const { tokens, steps } = await signIn(admin, adminDevice);
    expect(steps).toEqual(['login', 'otp']);
    expect(decodeJwt(tokens.access_token).amr).toEqual(['pwd', 'otp']);
    expect((await api(tokens.access_token, 'GET', '/api/v1/me/mfa')).body).toMatchObject({ recoveryCodesLeft: 9 });
    expect(await trail('mfa.recovery_code_used')).toContainEqual(expect.objectContaining({ after: { recoveryCodesLeft: 9 } }));
    adminDevice.nextCode = code;
    await expect(signIn(admin, adminDevice)).rejects.toThrow(/otp failed with 401/);
  });

  it('wrong codes count toward the sign-in throttle: after five failures even the right code waits', async () => {
    const device = createTestAuthenticator();
    const person = await invite(['dispatcher'], device);
    expect(person.steps).toEqual(['enrol', 'continue']);
    const browser = createOidcBrowser(server.baseUrl);
    const action = await openSignIn(browser);
    expect((await post(browser, action, { email: person.email, password: person.password })).status).toBe(200);
    const otp = action.replace(/login$/, 'otp');
    // The password counted once; four wrong codes make five.
    for (let i = 0; i < 4; i++) expect((await post(browser, otp, { code: '000000' })).status).toBe(401);
    const blocked = await post(browser, otp, { code: await device.code() });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('Too many failed attempts');
  });

  it('the API refuses tenant routes to a password-only token of a role that requires MFA (403 mfa-required)', async () => {
    const { key, kid } = await server.signingKey();
    const user = await findLocalUserByEmail(database.db, admin.email);
    const mint = (claims: Record<string, unknown>) =>
      new SignJWT({ realm_access: { roles: ['admin'] }, [server.identity.trusted.tenantClaim]: tenant.slug, email: admin.email, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(user?.id ?? randomUUID())
        .setIssuer(server.identity.issuer)
        .setAudience(server.identity.trusted.audience)
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(key);
    const passwordOnly = await mint({ amr: ['pwd'] });
    const refused = await api(passwordOnly, 'GET', '/api/v1/users');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ type: '/problems/auth/mfa-required', status: 403 });
    expect(String(refused.body.detail)).toContain('admin');
    // Who am I still answers (the web app needs it to say why).
    expect((await api(passwordOnly, 'GET', '/api/v1/me')).status).toBe(200);
    expect((await api(await mint({ amr: ['pwd', 'otp'] }), 'GET', '/api/v1/users')).status).toBe(200);
    // A token that says nothing about a sign-in (a service account's client credentials) is not a person's.
    expect((await api(await mint({}), 'GET', '/api/v1/users')).status).toBe(200);
  });

  it('the setting decides: a role it does not name signs in with a password; naming it later refuses the old token', async () => {
    expect((await api(adminToken, 'GET', '/api/v1/settings/mfa')).body).toEqual({ requiredRoles: ['admin', 'dispatcher'] });
    const viewer = await invite(['viewer']);
    expect(viewer.steps).toEqual([]);
    expect(decodeJwt(viewer.token)).toMatchObject({ amr: ['pwd'], acr: 'urn:yardmaster:acr:password' });
    expect((await api(viewer.token, 'GET', '/api/v1/work-orders')).status).toBe(200);

    const bad = await api(adminToken, 'PUT', '/api/v1/settings/mfa', { requiredRoles: ['admin', 'pilot', 'admin'] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ type: '/problems/validation' });
    expect((await api(adminToken, 'GET', '/api/v1/settings/mfa')).body).toEqual({ requiredRoles: ['admin', 'dispatcher'] });
    expect((await api(viewer.token, 'PUT', '/api/v1/settings/mfa', { requiredRoles: [] })).status).toBe(403);

    const changed = await api(adminToken, 'PUT', '/api/v1/settings/mfa', { requiredRoles: ['admin', 'dispatcher', 'viewer'] });
    expect(changed.status).toBe(200);
    expect(await trail('settings.mfa_updated')).toContainEqual(
      expect.objectContaining({ after: { requiredRoles: ['admin', 'dispatcher', 'viewer'] } }),
    );
    const refused = await api(viewer.token, 'GET', '/api/v1/work-orders');
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('/problems/auth/mfa-required');
    // Signing in again: enrolment first.
    const device = createTestAuthenticator();
    const again = await signIn({ email: viewer.email, password: viewer.password }, device);
    expect(again.steps).toEqual(['login', 'enrol', 'continue']);
    expect((await api(again.tokens.access_token, 'GET', '/api/v1/work-orders')).status).toBe(200);

    // While the role requires it, turning it off is refused; once it does not, it takes a current code.
    const required = await api(again.tokens.access_token, 'DELETE', '/api/v1/me/mfa', { code: await device.code() });
    expect(required.status).toBe(409);
    expect((await api(adminToken, 'PUT', '/api/v1/settings/mfa', { requiredRoles: ['admin', 'dispatcher'] })).status).toBe(200);
    const wrongCode = await api(again.tokens.access_token, 'DELETE', '/api/v1/me/mfa', { code: '000000' });
    expect(wrongCode.status).toBe(422);
    expect(wrongCode.body).toMatchObject({ type: '/problems/auth/invalid-code', errors: [{ field: 'code' }] });
    expect((await api(again.tokens.access_token, 'GET', '/api/v1/me/mfa')).body).toMatchObject({ enrolled: true });
    expect((await api(again.tokens.access_token, 'DELETE', '/api/v1/me/mfa', { code: await device.code() })).status).toBe(204);
    expect((await api(again.tokens.access_token, 'GET', '/api/v1/me/mfa')).body).toMatchObject({ enrolled: false, required: false });
    expect(await trail('mfa.disabled')).toHaveLength(1);
    expect((await signIn({ email: viewer.email, password: viewer.password })).steps).toEqual(['login']);
  });

  it('an admin resets a person who lost their phone: audited, and they enrol again at the next sign-in', async () => {
    const device = createTestAuthenticator();
    const person = await invite(['dispatcher'], device);
    const status = await api(adminToken, 'GET', `/api/v1/users/${person.memberId}/mfa`);
    expect(status.body).toMatchObject({ enrolled: true, recoveryCodesLeft: 10, required: true });
    // Only admins, only members, only someone who has it.
    expect((await api(person.token, 'DELETE', `/api/v1/users/${person.memberId}/mfa`)).status).toBe(403);
    const unknown = await api(adminToken, 'DELETE', `/api/v1/users/${randomUUID()}/mfa`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: '/problems/not-found' });
    expect((await api(adminToken, 'DELETE', `/api/v1/users/not-a-uuid/mfa`)).status).toBe(400);

    expect((await api(adminToken, 'DELETE', `/api/v1/users/${person.memberId}/mfa`)).status).toBe(204);
    expect((await api(adminToken, 'DELETE', `/api/v1/users/${person.memberId}/mfa`)).status).toBe(409);
    expect((await api(adminToken, 'GET', `/api/v1/users/${person.memberId}/mfa`)).body).toMatchObject({
      enrolled: false,
      recoveryCodesLeft: 0,
    });
    expect(await trail('mfa.reset')).toContainEqual(expect.objectContaining({ after: { memberId: person.memberId } }));
    const newPhone = createTestAuthenticator();
    const again = await signIn({ email: person.email, password: person.password }, newPhone);
    expect(again.steps).toEqual(['login', 'enrol', 'continue']);
    expect(newPhone.secret).not.toBe(device.secret);
  });
});
