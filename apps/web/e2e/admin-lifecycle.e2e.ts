import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiFor, type Api } from './support/api-token';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

/**
 * Administration screens of issue 15: the tenant's settings (dispatch, alerts, retention), equipment
 * returned to service and retired, qualification expiry dates (expired in red, "expired on …"),
 * a driver linked to a person chosen from a list, a driver archived. Each test makes its own
 * resources through the API and puts back every tenant setting it changes.
 */

type AlertSettings = { queuedMinutes: number; urgentDepth: number; urgentMinutes: number; expiringDays: number };
type DispatchSettings = { autoProcessing: boolean; ageingPointsPerMinute: number; scheduleLeadMinutes: number };
type Retention = { workOrdersYears: number; statusReportsYears: number; auditYears: number };

const suffix = randomBytes(3).toString('hex').toUpperCase();

async function accessible(page: Page, where: string): Promise<void> {
  expect(await seriousAxeFindings(page), where).toEqual([]);
}

describe('administration: settings, equipment lifecycle, drivers', () => {
  let browser: Browser;
  let api: Api;
  beforeAll(async () => {
    browser = await launchBrowser();
    api = apiFor(baseUrl(), DEMO.admin);
  });
  afterAll(async () => {
    await browser.close();
  });

  it('an admin changes dispatch, alert and retention settings; each is saved on its own and shown again', async () => {
    const alertsBefore = await api<AlertSettings>('GET', '/api/v1/settings/alerts');
    const dispatchBefore = await api<DispatchSettings>('GET', '/api/v1/settings/dispatch');
    const retentionBefore = await api<Retention>('GET', '/api/v1/settings/retention');
    const context = await newContext(browser);
    // A busy machine loads the app slowly; nothing here is timed.
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    try {
      await signIn(page, DEMO.admin, '/admin/settings');
      const alerts = page.getByTestId('settings-alerts');
      const waiting = alerts.getByLabel('Work waiting longer than (minutes)');
      await waiting.waitFor();
      await expect(waiting.inputValue()).resolves.toBe(String(alertsBefore.queuedMinutes));
      await accessible(page, 'settings');
      await screenshot(page, '80-admin-settings');

      await waiting.fill(String(alertsBefore.queuedMinutes + 7));
      await alerts.getByRole('button', { name: 'Save Alerts' }).click();
      await page.getByText('Alerts saved').waitFor();
      await expect
        .poll(async () => (await api<AlertSettings>('GET', '/api/v1/settings/alerts')).queuedMinutes)
        .toBe(alertsBefore.queuedMinutes + 7);

      const dispatch = page.getByTestId('settings-dispatch');
      const lead = dispatch.getByLabel('Scheduled work joins the queue (minutes before its start)');
      await expect(lead.inputValue()).resolves.toBe(String(dispatchBefore.scheduleLeadMinutes));
      await lead.fill(String(dispatchBefore.scheduleLeadMinutes + 5));
      await dispatch.getByRole('button', { name: 'Save Dispatch' }).click();
      await page.getByText('Dispatch saved').waitFor();
      const dispatchAfter = await api<DispatchSettings>('GET', '/api/v1/settings/dispatch');
      expect(dispatchAfter).toEqual({ ...dispatchBefore, scheduleLeadMinutes: dispatchBefore.scheduleLeadMinutes + 5 });

      // Retention is versioned (If-Match): two saves in a row, the second with the version the first returned.
      const retention = page.getByTestId('settings-retention');
      const workOrders = retention.getByLabel('Work orders (years)');
      await expect(workOrders.inputValue()).resolves.toBe(String(retentionBefore.workOrdersYears));
      await workOrders.fill(String(retentionBefore.workOrdersYears + 1));
      await retention.getByRole('button', { name: 'Save Retention' }).click();
      await page.getByText('Retention saved').first().waitFor();
      await expect
        .poll(async () => (await api<Retention>('GET', '/api/v1/settings/retention')).workOrdersYears)
        .toBe(retentionBefore.workOrdersYears + 1);
      await workOrders.fill(String(retentionBefore.workOrdersYears));
      await retention.getByRole('button', { name: 'Save Retention' }).click();
      await expect.poll(async () => api<Retention>('GET', '/api/v1/settings/retention')).toEqual(retentionBefore);
    } finally {
      await api('PATCH', '/api/v1/settings/alerts', alertsBefore);
      await api('PATCH', '/api/v1/settings/dispatch', { scheduleLeadMinutes: dispatchBefore.scheduleLeadMinutes });
      await context.close();
    }
  });

  it('an admin returns a machine from maintenance to service, retires it, finds it under Retired and brings it back', async () => {
    const type = await api<{ id: string }>('POST', '/api/v1/equipment-types', {
      code: `ADM-T-${suffix}`,
      name: `Admin test rig ${suffix}`,
    });
    const tag = `ADM-${suffix}`;
    const machine = await api<{ id: string }>('POST', '/api/v1/equipment', {
      assetTag: tag,
      name: `Admin rig ${suffix}`,
      equipmentTypeId: type.id,
    });
    await api('POST', `/api/v1/equipment/${machine.id}/maintenance`, { note: 'Hydraulic leak on the boom' });
    const status = async () => (await api<{ status: string }>('GET', `/api/v1/equipment/${machine.id}`)).status;

    const context = await newContext(browser);
    // A busy machine loads the app slowly; nothing here is timed.
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/equipment');
    await page.getByTestId('search-equipment').fill(tag);
    const row = page.getByTestId('table-equipment').getByRole('row').filter({ hasText: tag });
    await row.getByText('maintenance').waitFor();
    await accessible(page, 'equipment table');

    await row.getByRole('button', { name: `Return to service: ${tag}` }).click();
    const back = page.getByRole('dialog', { name: `Return ${tag} to service` });
    await back.getByText('Current note: Hydraulic leak on the boom').waitFor();
    await back.getByLabel('Note (optional)').fill('New seal fitted');
    await accessible(page, 'return to service dialog');
    await back.getByRole('button', { name: 'Return to service' }).click();
    await back.waitFor({ state: 'detached' });
    await row.getByText('available').waitFor();
    await expect(status()).resolves.toBe('available');

    await row.getByRole('button', { name: `Retire ${tag}` }).click();
    const retire = page.getByRole('dialog', { name: `Retire ${tag}?` });
    await accessible(page, 'retire dialog');
    await retire.getByRole('button', { name: 'Retire' }).click();
    await retire.waitFor({ state: 'detached' });
    // Retired machines leave the list, and are kept: the Retired filter shows them.
    await row.waitFor({ state: 'detached' });
    await expect(status()).resolves.toBe('retired');
    await page.getByTestId('equipment-status-filter').click();
    await page.getByRole('option', { name: 'Retired' }).click();
    await row.getByText('retired').waitFor();
    await screenshot(page, '81-admin-equipment-retired');
    await row.getByRole('button', { name: `Return to service: ${tag}` }).click();
    await page
      .getByRole('dialog', { name: `Return ${tag} to service` })
      .getByRole('button', { name: 'Return to service' })
      .click();
    await row.waitFor({ state: 'detached' });
    await expect(status()).resolves.toBe('available');
    await context.close();
  });

  it('an admin sees an expired ticket in red, sets its expiry date, links the driver to a person from a list and archives them', async () => {
    const q = await api<{ id: string }>('POST', '/api/v1/qualifications', { code: `ADM-Q-${suffix}`, name: `Admin ticket ${suffix}` });
    const driverName = `Della Admin ${suffix}`;
    const driver = await api<{ id: string }>('POST', '/api/v1/drivers', {
      name: driverName,
      qualifications: [{ qualificationId: q.id, expiresAt: new Date(Date.now() - 5 * 86_400_000).toISOString() }],
    });
    // A person of the tenant to link the driver to (known by subject, as after their first sign-in).
    const subject = `admin-test-${suffix.toLowerCase()}`;
    const personName = `Della Person ${suffix}`;
    await api('POST', '/api/v1/users', { subject, name: personName, roles: ['driver'] });

    const context = await newContext(browser);
    // A busy machine loads the app slowly; nothing here is timed.
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/drivers');
    await page.getByTestId('search-drivers').fill(driverName);
    const row = page.getByTestId('table-drivers').getByRole('row').filter({ hasText: driverName });
    const expired = row.getByTestId('qualification-expired');
    await expired.waitFor();
    await expect(expired.textContent()).resolves.toMatch(new RegExp(`^ADM-Q-${suffix} expired on \\d{2} [A-Z][a-z]{2,3} \\d{4}$`));
    await expect(row.textContent()).resolves.not.toContain('expires');
    expect(await expired.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(201, 42, 42)');
    await accessible(page, 'drivers table');

    // Expiry date: the last valid day, in a date field.
    const renewed = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    await row.getByRole('button', { name: `Expiry dates of ${driverName}` }).click();
    const dates = page.getByRole('dialog', { name: `Expiry dates of ${driverName}` });
    await dates.getByLabel(`ADM-Q-${suffix} — Admin ticket ${suffix}`).fill(renewed);
    await accessible(page, 'expiry dialog');
    await dates.getByRole('button', { name: 'Save dates' }).click();
    await dates.waitFor({ state: 'detached' });
    await row.getByTestId('qualification-expiring').waitFor();
    await expect(row.getByTestId('qualification-expiring').textContent()).resolves.toMatch(new RegExp(`^ADM-Q-${suffix} expires on `));
    const held = (
      await api<{ qualifications: Array<{ expiresAt: string | null; expired: boolean }> }>('GET', `/api/v1/drivers/${driver.id}`)
    ).qualifications[0];
    expect(held?.expired).toBe(false);
    expect(held?.expiresAt?.slice(0, 10)).toBe(renewed);

    // The sign-in: chosen from the tenant's people, not pasted.
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit driver' });
    await edit.getByLabel('Signs in as').click();
    await page.getByRole('option', { name: personName }).click();
    await accessible(page, 'driver form with the people picker');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await row.getByRole('cell', { name: personName }).waitFor();
    await expect(api<{ subject: string | null }>('GET', `/api/v1/drivers/${driver.id}`)).resolves.toMatchObject({ subject });
    await screenshot(page, '82-admin-driver-linked');

    await row.getByRole('button', { name: `Archive ${driverName}` }).click();
    const archive = page.getByRole('dialog', { name: `Archive ${driverName}?` });
    await archive.getByRole('button', { name: 'Archive' }).click();
    await row.waitFor({ state: 'detached' });
    await expect(api<{ archived: boolean }>('GET', `/api/v1/drivers/${driver.id}`)).resolves.toMatchObject({ archived: true });
    await context.close();
  });
});
