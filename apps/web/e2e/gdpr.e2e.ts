import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenFor } from './support/api-token';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, launchBrowser, newContext, screenshot } from './support/browser';
import { withoutMfa } from './support/tenant-mfa';

const OPERATOR = { email: 'operator@yardmaster.test', password: 'demo-operator' };

async function call<T>(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}

/** docs/identity.md "Personal data (GDPR)": an admin of their own tenant exports a person's data, then erases them. */
describe('personal data (GDPR) in the browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('an admin exports a person’s data as JSON and erases them after confirming their e-mail', async () => {
    // A tenant of our own, with its first admin (invited by the platform operator).
    const id = randomBytes(3).toString('hex');
    const operator = await accessTokenFor(baseUrl(), OPERATOR);
    const adminEmail = `admin-${id}@gdpr.test`;
    const created = await call<{ invitation: { url: string } }>(operator, 'POST', '/api/v1/platform/tenants', {
      slug: `gdpr_${id}`,
      name: `GDPR ${id}`,
      adminEmail,
      adminName: 'Greta Admin',
    });
    expect(created.status).toBe(201);
    await withoutMfa(`gdpr_${id}`);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(created.json.invitation.url);
    await page.getByLabel('New password').fill('Greta-Admin-2026');
    await page.getByLabel('Repeat the password').fill('Greta-Admin-2026');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByTestId('user-name').waitFor({ timeout: 30_000 });

    // The person: a membership and a driver record with her e-mail.
    const admin = await accessTokenFor(baseUrl(), { email: adminEmail, password: 'Greta-Admin-2026' });
    const email = `ann-${id}@gdpr.test`;
    expect((await call(admin, 'POST', '/api/v1/users', { email, name: 'Ann Ortiz', roles: ['driver'] })).status).toBe(201);
    expect((await call(admin, 'POST', '/api/v1/drivers', { name: 'Ann Ortiz', email, phone: '+44 161 555 0199' })).status).toBe(201);

    await page.goto('/admin/users');
    const table = page.getByTestId('table-users');
    await table.getByText(email).waitFor();

    // Export: a JSON download of everything held about her.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export data of Ann Ortiz' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^personal-data-[0-9a-f-]{36}\.json$/);
    const exported = JSON.parse(await readFile(await download.path(), 'utf8')) as {
      membership: { email: string };
      driver: { phone: string };
    };
    expect(exported.membership.email).toBe(email);
    expect(exported.driver.phone).toBe('+44 161 555 0199');

    // Erase: refused until her e-mail is typed; then done, and the screen says with what pseudonym.
    await page.getByRole('button', { name: 'Erase Ann Ortiz' }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase Ann Ortiz' });
    await dialog.waitFor();
    const confirm = dialog.getByLabel(`Type their e-mail address (${email}) to confirm`);
    await confirm.fill('someone-else@gdpr.test');
    await dialog.getByRole('button', { name: 'Erase this person' }).click();
    await dialog.getByText('must be the person’s e-mail address').waitFor();
    await page.waitForTimeout(300); // the modal's fade-in is over
    // The new screen is the dialog (the table's status badges are older and checked elsewhere).
    expect(await seriousAxeFindings(page, '[role="dialog"]')).toEqual([]);
    await screenshot(page, '45-gdpr-erase-confirm');
    await confirm.fill(email);
    await dialog.getByRole('button', { name: 'Erase this person' }).click();
    await dialog.getByText('Erased', { exact: true }).waitFor();
    const pseudonym = (await dialog.locator('code').textContent()) ?? '';
    expect(pseudonym).toMatch(/^erased-[0-9a-f]{12}$/);
    expect(await seriousAxeFindings(page, '[role="dialog"]')).toEqual([]);
    await dialog.getByRole('button', { name: 'Done', exact: true }).click();
    await table.getByText(`${pseudonym}@erased.invalid`).waitFor();
    await expect(table.getByText(email).count()).resolves.toBe(0);
    await screenshot(page, '45-gdpr-erased');

    const verify = await call<{ ok: boolean }>(admin, 'GET', '/api/v1/audit/verify');
    expect(verify.json.ok).toBe(true);
    await context.close();
  });
});
