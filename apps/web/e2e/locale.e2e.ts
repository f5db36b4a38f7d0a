import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { apiFor, type Api } from './support/api-token';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

/**
 * Issue 15: dates in the tenant's locale everywhere, the date pickers included. An admin switches
 * the demo tenant to German on the Settings screen; a driver's ticket expiry is then written the
 * German way, and the expiry date field shows 15.03.… with a German calendar. Every other browser
 * test expects en-GB: it is put back whatever happens.
 */

const suffix = randomBytes(3).toString('hex').toUpperCase();

describe('tenant locale', () => {
  let browser: Browser;
  let api: Api;
  beforeAll(async () => {
    browser = await launchBrowser();
    api = apiFor(baseUrl(), DEMO.admin);
  });
  afterAll(async () => {
    await browser.close();
  });

  it('an admin sets German: dates and the date picker follow, typed ISO dates still work', async () => {
    const before = await api<{ locale: string }>('GET', '/api/v1/settings/locale');
    expect(before).toEqual({ locale: 'en-GB' });
    const year = new Date().getUTCFullYear() + 1;
    const q = await api<{ id: string }>('POST', '/api/v1/qualifications', { code: `LOC-Q-${suffix}`, name: `Locale ticket ${suffix}` });
    const driverName = `Lotte Locale ${suffix}`;
    await api('POST', '/api/v1/drivers', {
      name: driverName,
      qualifications: [{ qualificationId: q.id, expiresAt: `${year}-03-15T12:00:00.000Z` }],
    });

    const context = await newContext(browser);
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    try {
      await signIn(page, DEMO.admin, '/admin/settings');
      const card = page.getByTestId('settings-locale');
      const select = card.getByLabel('Dates written as');
      await select.waitFor();
      await expect(select.inputValue()).resolves.toBe('English (United Kingdom)');
      await select.click();
      await page.getByRole('option', { name: 'Deutsch (Deutschland)' }).click();
      await card.getByRole('button', { name: 'Save Language and region' }).click();
      await page.getByText('Language and region saved').waitFor();
      await expect.poll(async () => api<{ locale: string }>('GET', '/api/v1/settings/locale')).toEqual({ locale: 'de-DE' });

      // A fresh load reads the locale from /me.
      await page.goto('/admin/drivers');
      await page.getByTestId('search-drivers').fill(driverName);
      const row = page.getByTestId('table-drivers').getByRole('row').filter({ hasText: driverName });
      const expiring = row.getByTestId('qualification-expiring');
      await expiring.waitFor();
      await expect(expiring.textContent()).resolves.toBe(`LOC-Q-${suffix} expires on 15. März ${year}`);

      // The date field: the day in the German pattern, the calendar in German.
      await row.getByRole('button', { name: `Expiry dates of ${driverName}` }).click();
      const dialog = page.getByRole('dialog', { name: `Expiry dates of ${driverName}` });
      const field = dialog.getByLabel(`LOC-Q-${suffix} — Locale ticket ${suffix}`);
      await expect(field.inputValue()).resolves.toBe(`15.03.${year}`);
      await field.click();
      await page.getByRole('button', { name: `März ${year}`, exact: true }).waitFor();
      await page.getByText('Mo', { exact: true }).first().waitFor();
      await page.getByRole('button', { name: `15. März ${year}`, exact: true }).waitFor();
      expect(await seriousAxeFindings(page), 'date field with its calendar open').toEqual([]);
      await screenshot(page, '84-locale-date-picker');
      // Escape closes the calendar, not the dialog.
      await field.press('Escape');
      await page.getByRole('button', { name: `März ${year}`, exact: true }).waitFor({ state: 'detached' });
      await dialog.waitFor();

      // ISO typed (what the API speaks) is understood; the field shows it the German way once left.
      await field.fill(`${year}-12-07`);
      await field.blur();
      await expect(field.inputValue()).resolves.toBe(`07.12.${year}`);
      await dialog.getByRole('button', { name: 'Save dates' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect.poll(() => expiring.textContent()).toBe(`LOC-Q-${suffix} expires on 07. Dez. ${year}`);
    } finally {
      await api('PUT', '/api/v1/settings/locale', { locale: 'en-GB' });
      await context.close();
    }
    expect(await api<{ locale: string }>('GET', '/api/v1/settings/locale')).toEqual({ locale: 'en-GB' });
  });
});
