import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenFor } from './support/api-token';
import { baseUrl, DEMO, launchBrowser, newContext, screenshot, watchCspViolations } from './support/browser';

/** docs/identity.md "Onboarding a customer", steps 4–5 in the browser: an invitation becomes a dispatcher at work. */
describe('onboarding in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('an invited dispatcher opens the link, is refused a weak password, sets a good one and lands in the console', async () => {
    const adminToken = await accessTokenFor(baseUrl(), DEMO.admin);
    const email = `dispatcher-${randomBytes(3).toString('hex')}@demo.test`;
    const invited = await fetch(`${baseUrl()}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email, name: 'Ivy Invited', roles: ['dispatcher'] }),
    });
    expect(invited.status).toBe(201);
    const { invitation } = (await invited.json()) as { invitation: { url: string } };

    const context = await newContext(browser);
    const page = await context.newPage();
    const violations = watchCspViolations(page);
    await page.goto(invitation.url);
    await page.getByRole('heading', { name: 'Welcome to Yardmaster' }).waitFor();
    await screenshot(page, '12-invitation');
    await page.getByLabel('New password').fill('password1');
    await page.getByLabel('Repeat the password').fill('password1');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('an upper-case letter');
    await page.getByLabel('New password').fill('Ivy-Dispatch-2026');
    await page.getByLabel('Repeat the password').fill('Ivy-Dispatch-2026');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    // Signed in without typing the password again; a dispatcher lands on the dispatch console.
    await page.getByTestId('user-name').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('user-name').textContent()).resolves.toBe('Ivy Invited');
    await page.waitForURL((url) => url.pathname === '/dispatch');
    await screenshot(page, '12-invited-dispatcher-console');
    expect(violations).toEqual([]);
    await context.close();
  });
});
