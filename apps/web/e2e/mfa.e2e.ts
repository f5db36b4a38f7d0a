import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenFor } from './support/api-token';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, launchBrowser, newContext, screenshot, watchCspViolations } from './support/browser';
import { totp } from './support/totp';

/**
 * docs/identity.md "Onboarding a customer" steps 2–3 with two-step sign-in: a new tenant (which
 * requires MFA for admins) invites its first admin; in the browser the invitation sets a password,
 * enrols an authenticator (the code computed here from the key on the page), shows the recovery
 * codes and lands in the console.
 */
describe('two-step sign-in in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('invitation → password → authenticator enrolment → recovery codes → console', async () => {
    const run = randomBytes(3).toString('hex');
    const operatorToken = await accessTokenFor(baseUrl(), { email: 'operator@yardmaster.test', password: 'demo-operator' });
    const created = await fetch(`${baseUrl()}/api/v1/platform/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        slug: `mfa_${run}`,
        name: 'MFA Haulage',
        timeZone: 'UTC',
        adminEmail: `ada-${run}@mfa.test`,
        adminName: 'Ada Admin',
      }),
    });
    expect(created.status).toBe(201);
    const { invitation } = (await created.json()) as { invitation: { url: string } };

    const context = await newContext(browser);
    const page = await context.newPage();
    const violations = watchCspViolations(page);
    await page.goto(invitation.url);
    await page.getByRole('heading', { name: 'Welcome to Yardmaster' }).waitFor();
    await page.getByLabel('New password').fill(`Ada-Admin-${run}-1`);
    await page.getByLabel('Repeat the password').fill(`Ada-Admin-${run}-1`);
    await page.getByRole('button', { name: 'Set password and sign in' }).click();

    await page.getByRole('heading', { name: 'Set up two-step sign-in' }).waitFor({ timeout: 30_000 });
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    expect(await seriousAxeFindings(page)).toEqual([]);
    await screenshot(page, '12-mfa-enrol');
    const secret = ((await page.locator('#secret').textContent()) ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // A wrong code first: said so, nothing enrolled, the same key again.
    await page.getByLabel('Code from the app').fill('000000');
    await page.getByRole('button', { name: 'Confirm and continue' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That code is not right');
    expect(((await page.locator('#secret').textContent()) ?? '').replace(/\s+/g, '')).toBe(secret);
    await page.getByLabel('Code from the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Confirm and continue' }).click();

    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await expect(page.locator('#recovery-codes li').count()).resolves.toBe(10);
    expect(await seriousAxeFindings(page)).toEqual([]);
    await screenshot(page, '12-mfa-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them, continue' }).click();

    await page.getByTestId('user-name').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('user-name').textContent()).resolves.toBe('Ada Admin');
    await screenshot(page, '12-mfa-console');
    expect(violations).toEqual([]);
    await context.close();
  });
});
