import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenFor } from './support/api-token';
import { seriousA11yFindings } from './support/axe';
import { baseUrl, launchBrowser, newContext, screenshot, watchCspViolations } from './support/browser';
import { startTestProvider, type TestProvider } from './support/test-provider';

const OPERATOR = { email: 'operator@yardmaster.test', password: 'demo-operator' };

/**
 * docs/identity.md "Bring your own identity provider": a tenant whose people sign in with their
 * organisation's own OpenID provider (a second provider run by this test), then keep the session
 * across reloads and deep links through a silent sign-in, and its admin edits the provider settings.
 */
describe("web sign-in through a tenant's own identity provider", () => {
  let browser: Browser;
  let provider: TestProvider;
  const slug = `byo_${randomBytes(3).toString('hex')}`;
  const domain = `${slug.replace('_', '-')}.example`;
  const user = {
    sub: 'una-1',
    username: 'una',
    password: 'Una-Passphrase-1',
    name: 'Una Own',
    email: `una@${domain}`,
    roles: ['yard-boss'],
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    provider = await startTestProvider({ appOrigin: baseUrl(), user });
    const operator = await accessTokenFor(baseUrl(), OPERATOR);
    const post = (path: string, body: unknown) =>
      fetch(`${baseUrl()}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const tenant = await post('/api/v1/platform/tenants', { slug, name: 'Own Provider Ltd' });
    expect(tenant.status, await tenant.clone().text()).toBe(201);
    const registered = await post(`/api/v1/platform/tenants/${slug}/identity-providers`, {
      issuer: provider.issuer,
      audience: provider.audience,
      clientId: provider.clientId,
      roleMapping: { 'yard-boss': 'admin' },
      domains: [domain],
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
  });
  afterAll(async () => {
    await browser.close();
    await provider.stop();
  });

  it('asks for the organisation, signs in at its provider, keeps the session across a reload and a deep link, and edits the provider', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const violations = watchCspViolations(page);

    await page.goto('/sign-in');
    const field = page.getByLabel('Organisation or work e-mail');
    await field.waitFor();
    await screenshot(page, '12-byo-sign-in');
    expect(await seriousA11yFindings(page)).toEqual([]);
    await field.fill('no_such_org');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('No organisation is called "no_such_org"').waitFor();

    // The e-mail's domain names the organisation; its provider asks for the password.
    await field.fill(user.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Username').fill(user.username);
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    await page.getByLabel('Passphrase').fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('user-name').waitFor();
    await expect(page.getByTestId('user-name').textContent()).resolves.toBe(user.name);
    // The provider's role name maps to admin: the administration is there.
    await page.getByRole('link', { name: 'Administration' }).waitFor();
    expect(provider.logins()).toBe(1);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toMatch(/access_token|refresh_token|eyJ/);

    // A reload: tokens were in memory only; the provider's session signs the person in silently.
    await page.reload();
    await page.getByTestId('user-name').waitFor();
    expect(provider.logins()).toBe(1);

    // A deep link in a new tab of the same browser: the same, and it opens where it pointed.
    const tab = await context.newPage();
    await tab.goto('/admin/identity-providers');
    const table = tab.getByTestId('identity-providers');
    await table.waitFor();
    expect(new URL(tab.url()).pathname).toBe('/admin/identity-providers');
    expect(provider.logins()).toBe(1);
    await expect(table.textContent()).resolves.toContain(provider.issuer);
    await expect(table.textContent()).resolves.toContain(domain);
    expect(await seriousA11yFindings(tab)).toEqual([]);

    // The admin adds a domain and a role mapping row through the settings dialog.
    await tab.getByRole('button', { name: `Change ${provider.issuer}` }).click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByLabel('Issuer').waitFor();
    expect(await seriousA11yFindings(tab, '[role="dialog"]')).toEqual([]);
    await screenshot(tab, '12-byo-provider-settings');
    await dialog.getByLabel('E-mail domains').fill(`ops.${domain}`);
    await dialog.getByLabel('E-mail domains').press('Enter');
    await dialog.getByRole('button', { name: 'Add a role' }).click();
    await dialog.getByLabel('Provider role 2').fill('yard-desk');
    await dialog.getByLabel('Yardmaster role 2').first().click();
    await tab.getByRole('option', { name: 'dispatcher' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The list is read again after the save: wait for it.
    await expect.poll(() => table.textContent()).toContain(`ops.${domain}`);
    await expect(table.textContent()).resolves.toContain('yard-desk → dispatcher');

    // Taking the client id away while domains send people here is refused, the reason on its field.
    await tab.getByRole('button', { name: `Change ${provider.issuer}` }).click();
    await tab.getByRole('dialog').getByLabel('Client id of the web app').fill('');
    await tab.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await tab.getByRole('dialog').getByText('required when domains are declared').waitFor();
    await tab.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(violations).toEqual([]);
    await context.close();
  });

  it('a remembered organisation whose provider has no session falls back to the organisation sign-in page', async () => {
    const context = await newContext(browser);
    await context.addInitScript((org) => localStorage.setItem('ym.org', org), slug);
    const page = await context.newPage();
    await page.goto('/dispatch');
    const field = page.getByLabel('Organisation or work e-mail');
    await field.waitFor();
    // The provider was asked silently (prompt=none) and answered login_required: no form of its own.
    expect(await field.inputValue()).toBe(slug);
    expect(new URL(page.url()).pathname).toBe('/dispatch');
    expect(await seriousA11yFindings(page)).toEqual([]);
    await context.close();
  });

  it("an ?org= link goes to that organisation's provider", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`/?org=${slug}`);
    await page.getByLabel('Username').waitFor();
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    await context.close();
  });
});
