import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenFor } from './support/api-token';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, launchBrowser, newContext, screenshot, signIn, watchCspViolations } from './support/browser';
import { withoutMfa } from './support/tenant-mfa';

const OPERATOR = { email: 'operator@yardmaster.test', password: 'demo-operator' };

type Json = Record<string, unknown>;

async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
}

/** Sets the password from an invitation link, as the set-password form does (no browser needed for setup). */
async function acceptInvitation(url: string, password: string): Promise<void> {
  const page = await fetch(url);
  const token = /name="token" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const set = await fetch(`${baseUrl()}/account/set-password`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, password, confirm: password }).toString(),
  });
  expect(set.status).toBe(303);
}

/** Opens a member's account menu in the users table and confirms one action. */
async function memberAction(page: Page, name: string, action: string): Promise<void> {
  await page.getByRole('button', { name: `Account actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: action }).click();
  const dialog = page.getByRole('dialog', { name: action });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: action }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * Accounts and sessions in the browser, on a tenant of its own (made by the demo operator): a
 * tenant admin invites, revokes and re-invites, forces a member out, deactivates and reactivates
 * them; then changes their own password, sees their sessions and signs out everywhere.
 */
describe('accounts and sessions in the browser', () => {
  let browser: Browser;
  const run = randomBytes(3).toString('hex');
  const slug = `acc_${run}`;
  const admin = { email: `admin-${run}@acc.example`, password: `Admin-${run}-Pass1` };
  const dispatcher = { email: `disp-${run}@acc.example`, password: `Disp-${run}-Pass1` };
  beforeAll(async () => {
    browser = await launchBrowser();
    const operator = await accessTokenFor(baseUrl(), OPERATOR);
    const tenant = await call(operator, 'POST', '/api/v1/platform/tenants', {
      slug,
      name: 'Account Test Ltd',
      adminEmail: admin.email,
      adminName: 'Alma Admin',
    });
    expect(tenant.status).toBe(201);
    await withoutMfa(slug);
    await acceptInvitation((tenant.body.invitation as { url: string }).url, admin.password);
    const adminToken = await accessTokenFor(baseUrl(), admin);
    const invited = await call(adminToken, 'POST', '/api/v1/users', {
      email: dispatcher.email,
      name: 'Dino Dispatcher',
      roles: ['dispatcher'],
    });
    expect(invited.status).toBe(201);
    await acceptInvitation((invited.body.invitation as { url: string }).url, dispatcher.password);
    // The first API call binds the invitation to the account (the member is no longer "invited").
    expect((await call(await accessTokenFor(baseUrl(), dispatcher), 'GET', '/api/v1/me')).status).toBe(200);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a tenant admin invites, revokes, re-invites, forces out, deactivates and reactivates people', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const violations = watchCspViolations(page);
    await signIn(page, admin, '/admin/users');
    await page.getByTestId('table-users').waitFor();

    // Invite: the link is shown to pass on.
    const invitee = `new-${run}@acc.example`;
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByRole('dialog').getByLabel('E-mail').fill(invitee);
    await page.getByRole('dialog').getByLabel('Name').fill('Nia New');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Roles').click();
    await page.getByRole('option', { name: 'viewer' }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const linkPanel = page.getByRole('alert').filter({ hasText: 'Invitation link' });
    await linkPanel.waitFor();
    const firstLink = await page.getByTestId('invitation-url').inputValue();
    expect(firstLink).toContain('/account/set-password?token=');
    expect(await seriousAxeFindings(page, '[data-testid=invitation-panel]')).toEqual([]);
    await linkPanel.getByRole('button', { name: 'Close' }).click();
    await linkPanel.waitFor({ state: 'detached' });

    // Revoke: the link stops working; invite again: a new link that works.
    await memberAction(page, 'Nia New', 'Revoke invitation');
    expect((await fetch(firstLink)).status).toBe(410);
    await memberAction(page, 'Nia New', 'Invite again');
    await linkPanel.waitFor();
    const secondLink = await page.getByTestId('invitation-url').inputValue();
    expect(secondLink).not.toBe(firstLink);
    expect((await fetch(secondLink)).status).toBe(200);
    await linkPanel.getByRole('button', { name: 'Close' }).click();

    // Force sign-out and deactivation end the dispatcher's token at once.
    let dispatcherToken = await accessTokenFor(baseUrl(), dispatcher);
    expect((await call(dispatcherToken, 'GET', '/api/v1/me')).status).toBe(200);
    await page.getByRole('button', { name: 'Account actions for Dino Dispatcher' }).click();
    await page.getByRole('menuitem', { name: 'Sign out everywhere' }).click();
    await page.getByRole('dialog', { name: 'Sign out everywhere' }).waitFor();
    expect(await seriousAxeFindings(page, '[role=dialog]')).toEqual([]);
    await screenshot(page, '12-admin-force-sign-out');
    await page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect((await call(dispatcherToken, 'GET', '/api/v1/me')).status).toBe(401);

    dispatcherToken = await accessTokenFor(baseUrl(), dispatcher);
    await memberAction(page, 'Dino Dispatcher', 'Deactivate');
    expect((await call(dispatcherToken, 'GET', '/api/v1/me')).status).toBe(401);
    await expect(accessTokenFor(baseUrl(), dispatcher)).rejects.toThrow();
    await page.getByRole('row', { name: /Dino Dispatcher.*deactivated/ }).waitFor();
    await memberAction(page, 'Dino Dispatcher', 'Reactivate');
    expect((await call(await accessTokenFor(baseUrl(), dispatcher), 'GET', '/api/v1/me')).status).toBe(200);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('a person changes their password, sees their sessions and signs out everywhere', async () => {
    const other = await accessTokenFor(baseUrl(), dispatcher); // another device
    const context = await newContext(browser);
    const page = await context.newPage();
    const violations = watchCspViolations(page);
    await signIn(page, dispatcher, '/');
    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    const sessions = page.getByTestId('my-sessions');
    await sessions.waitFor();
    await sessions.getByText('This device').waitFor();
    expect(await sessions.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);

    // A wrong current password is refused on its field; then the change goes through.
    await page.getByLabel('Current password').fill('Not-my-password-1');
    await page.getByLabel('New password', { exact: true }).fill(`Next-${run}-Pass2`);
    await page.getByLabel('New password again').fill(`Next-${run}-Pass2`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('wrong password').waitFor();
    expect(await seriousAxeFindings(page)).toEqual([]);
    await page.getByLabel('Current password').fill(dispatcher.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password is changed').waitFor();
    await screenshot(page, '12-account-page');
    expect(await seriousAxeFindings(page)).toEqual([]);

    // Sign out everywhere: the other device's token stops, this browser leaves through the provider.
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign out everywhere?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/oidc/'), { timeout: 30_000 });
    expect((await call(other, 'GET', '/api/v1/me')).status).toBe(401);
    // The new password signs in; the old one does not.
    await expect(accessTokenFor(baseUrl(), dispatcher)).rejects.toThrow();
    expect(
      (await call(await accessTokenFor(baseUrl(), { ...dispatcher, password: `Next-${run}-Pass2` }), 'GET', '/api/v1/me')).status,
    ).toBe(200);
    expect(violations).toEqual([]);
    await context.close();
  });
});
