import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperatorAccount } from '../src/modules/auth/index.js';
import type { Database } from '../src/platform/db/index.js';
import { openTestDatabase, testDbKind } from './support/db.js';
import { startEmbeddedTestApp, type EmbeddedTestApp } from './support/embedded.js';
import { setMfaRequiredRoles } from './support/mfa.js';
import { authorizeIn, createOidcBrowser, pkcePair, setPasswordFromLink, type TokenSet } from './support/oidc-client.js';

type Link = { url: string; expiresAt: string };
type Json = Record<string, unknown>;
type AuditItem = { action: string; entityId: string; after: Json | null; actor: Json };

/**
 * Accounts and sessions of the embedded identity provider, over HTTP on a real server: the session
 * list and its limit, sign out everywhere, change password, a tenant admin's deactivate /
 * reactivate / force sign-out / revoke invitation, the operator's account administration, and the
 * audit trail of it all. Every ended session stops its refresh token AND its access token.
 */
describe(`accounts and sessions on ${testDbKind()}`, () => {
  let database: Database;
  let server: EmbeddedTestApp;
  const run = randomBytes(3).toString('hex');
  const slug = `acct_${run}`;
  const operatorEmail = `op-${run}@example.test`;
  const adminEmail = `admin-${run}@acct.example`;
  const dispatcherEmail = `disp-${run}@acct.example`;
  let dispatcherPassword = `Dispatch-${run}-Pass1`;
  const tokens: Record<string, string> = {};
  let dispatcherMemberId = '';
  let dispatcherAccountId = '';

  const api = async (
    who: string | { token: string },
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const token = typeof who === 'string' ? (tokens[who] ?? '') : who.token;
    const response = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'user-agent': 'AccountTest/1.0',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Json };
  };

  const accept = async (link: string, password: string): Promise<TokenSet> => {
    const browser = createOidcBrowser(server.baseUrl);
    expect((await setPasswordFromLink(browser, link, password)).status).toBe(303);
    return (await authorizeIn(browser, server.baseUrl)).tokens;
  };

  const signIn = async (email: string, password: string): Promise<TokenSet> =>
    (await authorizeIn(createOidcBrowser(server.baseUrl), server.baseUrl, { email, password })).tokens;

  /** Posts the sign-in form once; the status and page of the answer. */
  const tryPassword = async (email: string, password: string): Promise<{ status: number; page: string }> => {
    const browser = createOidcBrowser(server.baseUrl);
    const { challenge } = pkcePair();
    const params = new URLSearchParams({
      client_id: 'yardmaster-web',
      response_type: 'code',
      redirect_uri: `${server.baseUrl}/auth/callback`,
      scope: 'openid profile email offline_access api',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const start = await browser.request(`/oidc/auth?${params.toString()}`);
    const page = await browser.request(start.headers.get('location') ?? '');
    const action = /action="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const answer = await browser.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, password }).toString(),
    });
    return { status: answer.status, page: await answer.text() };
  };

  const refresh = async (tokenSet: TokenSet): Promise<number> => {
    const response = await fetch(`${server.baseUrl}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokenSet.refresh_token ?? '', client_id: 'yardmaster-web' }),
    });
    await response.text();
    return response.status;
  };

  const trail = async (): Promise<AuditItem[]> => {
    const page = await api('admin', 'GET', '/api/v1/audit?limit=200');
    expect(page.status).toBe(200);
    return page.body.items as AuditItem[];
  };

  const dispatcherMember = async (): Promise<{ version: number; active: boolean }> => {
    const member = await api('admin', 'GET', `/api/v1/users/${dispatcherMemberId}`);
    return member.body as { version: number; active: boolean };
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await startEmbeddedTestApp(database, { SEED_DEMO: 'false' });
    const link = await createOperatorAccount(database.db, { email: operatorEmail, name: 'Otto Operator', publicUrl: server.baseUrl });
    tokens.operator = (await accept(link.url, `Operator-${run}-Pass1`)).access_token;
    const tenant = await api('operator', 'POST', '/api/v1/platform/tenants', { slug, name: 'Accounts Ltd', adminEmail });
    expect(tenant.status).toBe(201);
    // About sessions, not two-step sign-in (auth-mfa.test.ts): this tenant requires none.
    await setMfaRequiredRoles(database, slug, []);
    tokens.admin = (await accept((tenant.body.invitation as Link).url, `Admin-${run}-Pass1`)).access_token;
    const invited = await api('admin', 'POST', '/api/v1/users', { email: dispatcherEmail, name: 'Dora Dispatcher', roles: ['dispatcher'] });
    expect(invited.status).toBe(201);
    dispatcherMemberId = String(invited.body.id);
    const first = await accept((invited.body.invitation as Link).url, dispatcherPassword);
    dispatcherAccountId = String(decodeJwt(first.access_token).sub);
    // Opening a fresh embedded database alone took 115 s on the shared, loaded test machine.
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    await database?.close();
  });

  it('lists my sessions with browser, sign-in time and last use; a fourth sign-in ends the oldest', async () => {
    // The invitation's sign-in is session 1; three more sign-ins from "other devices".
    const sets: TokenSet[] = [];
    for (let i = 0; i < 3; i++) sets.push(await signIn(dispatcherEmail, dispatcherPassword));
    const newest = sets[2] as TokenSet;
    const listed = await api({ token: newest.access_token }, 'GET', '/api/v1/account/sessions');
    expect(listed.status).toBe(200);
    const items = listed.body.items as Array<{
      id: string;
      userAgent: string | null;
      signedInAt: string;
      lastUsedAt: string;
      current: boolean;
    }>;
    expect(items).toHaveLength(3);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(items[0]?.current).toBe(true); // newest first
    for (const s of items) {
      expect(Date.parse(s.signedInAt)).toBeGreaterThan(Date.now() - 120_000);
      expect(Date.parse(s.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(s.signedInAt) - 1000);
      expect(s.userAgent).toEqual(expect.any(String)); // Node's fetch sends one
    }
    // Renewing tokens is "use": the oldest listed session's last use moves on.
    const oldestListed = items[2];
    expect(await refresh(sets[0] as TokenSet)).toBe(200);
    const after = (await api({ token: newest.access_token }, 'GET', '/api/v1/account/sessions')).body.items as typeof items;
    expect(Date.parse(after.find((s) => s.id === oldestListed?.id)?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(oldestListed?.lastUsedAt ?? ''),
    );

    // A fourth concurrent sign-in: the oldest of the three ends (refresh token and access token).
    const fourth = await signIn(dispatcherEmail, dispatcherPassword);
    const oldest = sets[0] as TokenSet;
    expect(await refresh(oldest)).toBe(400);
    expect((await api({ token: oldest.access_token }, 'GET', '/api/v1/me')).status).toBe(401);
    expect((await api({ token: fourth.access_token }, 'GET', '/api/v1/me')).status).toBe(200);
    expect((await api({ token: sets[1]?.access_token ?? '' }, 'GET', '/api/v1/me')).status).toBe(200);
    const now = (await api({ token: fourth.access_token }, 'GET', '/api/v1/account/sessions')).body.items as typeof items;
    expect(now).toHaveLength(3);

    const events = await trail();
    const mine = events.filter((e) => e.entityId === dispatcherAccountId);
    expect(mine.filter((e) => e.action === 'session.signed_in').length).toBeGreaterThanOrEqual(5);
    expect(mine.find((e) => e.action === 'session.ended')?.after).toMatchObject({ reason: 'replaced', limit: 3 });
    expect(mine.find((e) => e.action === 'session.signed_in')?.actor).toMatchObject({ subject: dispatcherAccountId });
    tokens.dispatcher = fourth.access_token;
  });

  it('audits a failed sign-in of an account, and says nothing about an unknown e-mail', async () => {
    const known = await tryPassword(dispatcherEmail, 'Wrong-password-1');
    const unknown = await tryPassword(`nobody-${run}@acct.example`, 'Wrong-password-1');
    expect(known.status).toBe(401);
    expect(unknown.status).toBe(401);
    // The same answer either way (the form echoes the e-mail typed, nothing else differs).
    const normal = (page: string, email: string): string => page.replace(email, 'X').replace(/\/interaction\/[^/"]+/g, '/interaction/U');
    expect(normal(unknown.page, `nobody-${run}@acct.example`)).toBe(normal(known.page, dispatcherEmail));
    await expect
      .poll(async () => (await trail()).filter((e) => e.action === 'session.sign_in_failed').map((e) => e.entityId), { timeout: 5000 })
      .toEqual([dispatcherAccountId]);
    expect(JSON.stringify(await trail())).not.toContain(`nobody-${run}`);
  });

  it('changes my password: the current one is required and the policy applies; a failed attempt changes nothing', async () => {
    const wrong = await api('dispatcher', 'POST', '/api/v1/account/password', {
      currentPassword: 'not-it',
      newPassword: `New-${run}-Pass2`,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.body.errors).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
    const weak = await api('dispatcher', 'POST', '/api/v1/account/password', {
      currentPassword: dispatcherPassword,
      newPassword: 'password',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);
    const missing = await api('dispatcher', 'POST', '/api/v1/account/password', { newPassword: 'x' });
    expect(missing.status).toBe(400);
    // Nothing changed: the old password still signs in.
    await signIn(dispatcherEmail, dispatcherPassword);
    const changed = await api('dispatcher', 'POST', '/api/v1/account/password', {
      currentPassword: dispatcherPassword,
      newPassword: `New-${run}-Pass2`,
    });
    expect(changed.status).toBe(204);
    expect((await tryPassword(dispatcherEmail, dispatcherPassword)).status).toBe(401);
    dispatcherPassword = `New-${run}-Pass2`;
    tokens.dispatcher = (await signIn(dispatcherEmail, dispatcherPassword)).access_token;
    expect((await trail()).map((e) => e.action)).toContain('account.password_changed');
    // A token of the operator (no tenant) has an account too; one without an account here gets 404.
    expect((await api({ token: 'x.y.z' }, 'GET', '/api/v1/account/sessions')).status).toBe(401);
  });

  it('signs me out everywhere: every refresh token and access token stops at once', async () => {
    const other = await signIn(dispatcherEmail, dispatcherPassword);
    // Both tokens verified (and cached) before.
    expect((await api('dispatcher', 'GET', '/api/v1/me')).status).toBe(200);
    expect((await api({ token: other.access_token }, 'GET', '/api/v1/me')).status).toBe(200);
    const out = await api('dispatcher', 'POST', '/api/v1/account/sessions/sign-out-all');
    expect(out.status).toBe(200);
    expect(out.body.ended).toBe(3);
    expect((await api('dispatcher', 'GET', '/api/v1/me')).status).toBe(401);
    expect((await api({ token: other.access_token }, 'GET', '/api/v1/me')).status).toBe(401);
    expect(await refresh(other)).toBe(400);
    expect((await trail()).find((e) => e.action === 'session.signed_out_everywhere')?.after).toMatchObject({ sessions: 3 });
    // Signing in again works at once.
    tokens.dispatcher = (await signIn(dispatcherEmail, dispatcherPassword)).access_token;
    expect((await api('dispatcher', 'GET', '/api/v1/account/sessions')).body.items).toHaveLength(1);
  });

  it('a tenant admin forces a member out; only admins may', async () => {
    const set = await signIn(dispatcherEmail, dispatcherPassword);
    expect((await api('dispatcher', 'POST', `/api/v1/users/${dispatcherMemberId}/sign-out`)).status).toBe(403);
    expect((await api('admin', 'POST', '/api/v1/users/not-a-uuid/sign-out')).status).toBe(400);
    expect((await api('admin', 'POST', `/api/v1/users/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/sign-out`)).status).toBe(404);
    expect((await api({ token: set.access_token }, 'GET', '/api/v1/me')).status).toBe(200);
    expect((await api('admin', 'POST', `/api/v1/users/${dispatcherMemberId}/sign-out`)).status).toBe(204);
    expect((await api({ token: set.access_token }, 'GET', '/api/v1/me')).status).toBe(401);
    expect((await api('dispatcher', 'GET', '/api/v1/me')).status).toBe(401);
    expect(await refresh(set)).toBe(400);
    expect((await trail()).find((e) => e.action === 'membership.signed_out')?.entityId).toBe(dispatcherMemberId);
    // Not deactivated: the person signs in again.
    tokens.dispatcher = (await signIn(dispatcherEmail, dispatcherPassword)).access_token;
  });

  it('deactivating a member ends their sessions and sign-in at once; reactivating lets them back', async () => {
    const set = await signIn(dispatcherEmail, dispatcherPassword);
    expect((await api({ token: set.access_token }, 'GET', '/api/v1/me')).status).toBe(200);
    const { version } = await dispatcherMember();
    const off = await api('admin', 'PATCH', `/api/v1/users/${dispatcherMemberId}`, { active: false }, { 'if-match': `"${version}"` });
    expect(off.status).toBe(200);
    expect((await api({ token: set.access_token }, 'GET', '/api/v1/me')).status).toBe(401);
    expect((await api('dispatcher', 'GET', '/api/v1/me')).status).toBe(401);
    expect(await refresh(set)).toBe(400);
    expect((await tryPassword(dispatcherEmail, dispatcherPassword)).status).toBe(401);
    // Deactivated people get no password reset link either (the page says the same as ever).
    const on = await api(
      'admin',
      'PATCH',
      `/api/v1/users/${dispatcherMemberId}`,
      { active: true },
      { 'if-match': `"${(await dispatcherMember()).version}"` },
    );
    expect(on.status).toBe(200);
    tokens.dispatcher = (await signIn(dispatcherEmail, dispatcherPassword)).access_token;
    expect((await api('dispatcher', 'GET', '/api/v1/me')).status).toBe(200);
    const actions = (await trail()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['membership.deactivated', 'membership.reactivated', 'session.sign_in_failed']));
  });

  it('revokes a pending invitation; inviting again sends a link that works', async () => {
    const email = `late-${run}@acct.example`;
    const invited = await api('admin', 'POST', '/api/v1/users', { email, roles: ['viewer'] });
    expect(invited.status).toBe(201);
    const id = String(invited.body.id);
    const revoked = await api('admin', 'POST', `/api/v1/users/${id}/revoke-invitation`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ active: false, pending: true });
    expect((await createOidcBrowser(server.baseUrl).request((invited.body.invitation as Link).url)).status).toBe(410);
    const again = await api('admin', 'POST', `/api/v1/users/${id}/revoke-invitation`);
    expect(again.status).toBe(409);
    // An accepted invitation cannot be revoked.
    expect((await api('admin', 'POST', `/api/v1/users/${dispatcherMemberId}/revoke-invitation`)).status).toBe(409);
    const reinvited = await api('admin', 'POST', '/api/v1/users', { email, roles: ['viewer'] });
    expect(reinvited.status).toBe(200);
    expect(reinvited.body).toMatchObject({ id, active: true, pending: true });
    const viewer = await accept((reinvited.body.invitation as Link).url, `Viewer-${run}-Pass1`);
    expect((await api({ token: viewer.access_token }, 'GET', '/api/v1/me')).body).toMatchObject({ roles: ['viewer'] });
    expect((await trail()).map((e) => e.action)).toContain('membership.invitation_revoked');
  });

  it('the platform operator finds, deactivates, reactivates and signs out an account', async () => {
    expect((await api('admin', 'GET', `/api/v1/platform/accounts?email=${encodeURIComponent(dispatcherEmail)}`)).status).toBe(403);
    expect((await api('operator', 'GET', '/api/v1/platform/accounts?email=nope')).status).toBe(400);
    expect((await api('operator', 'GET', `/api/v1/platform/accounts?email=none-${run}%40acct.example`)).status).toBe(404);
    const found = await api('operator', 'GET', `/api/v1/platform/accounts?email=${encodeURIComponent(dispatcherEmail)}`);
    expect(found.body).toMatchObject({ id: dispatcherAccountId, tenantSlug: slug, active: true, hasPassword: true });
    expect(JSON.stringify(found.body)).not.toContain('argon');

    const set = await signIn(dispatcherEmail, dispatcherPassword);
    const off = await api('operator', 'POST', `/api/v1/platform/accounts/${dispatcherAccountId}/deactivate`);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ active: false });
    expect((await api({ token: set.access_token }, 'GET', '/api/v1/me')).status).toBe(401);
    expect(await refresh(set)).toBe(400);
    expect((await tryPassword(dispatcherEmail, dispatcherPassword)).status).toBe(401);
    expect((await api('operator', 'POST', `/api/v1/platform/accounts/${dispatcherAccountId}/reactivate`)).body).toMatchObject({
      active: true,
    });
    const back = await signIn(dispatcherEmail, dispatcherPassword);
    const out = await api('operator', 'POST', `/api/v1/platform/accounts/${dispatcherAccountId}/sign-out`);
    expect(out.body.ended).toBeGreaterThanOrEqual(1);
    expect((await api({ token: back.access_token }, 'GET', '/api/v1/me')).status).toBe(401);
    // The operator cannot lock themself out; audit lands in the account's tenant trail.
    const self = String(decodeJwt(tokens.operator ?? '').sub);
    expect((await api('operator', 'POST', `/api/v1/platform/accounts/${self}/deactivate`)).status).toBe(409);
    const actions = (await trail()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['account.deactivated', 'account.reactivated', 'session.forced_sign_out']));
    // The chain stays valid after all of it.
    expect((await api('admin', 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
  });
});
