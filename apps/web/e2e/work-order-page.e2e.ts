import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { apiFor, type Api } from './support/api-token';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

/**
 * The work-order page (issue 15): description, lines, each dispatch with its history, status
 * reports and audit trail; reached from the board's card and from search. The work order, its
 * machine, driver and site are this test's own, made through the API.
 */

type Dispatch = { id: string; status: string; version: number };

describe('the work-order page', () => {
  let browser: Browser;
  let api: Api;
  beforeAll(async () => {
    browser = await launchBrowser();
    api = apiFor(baseUrl(), DEMO.admin);
  });
  afterAll(async () => {
    await browser.close();
  });

  it('shows description, lines, each dispatch with its history, the status report and the audit trail; opened from a card and from search', async () => {
    const suffix = randomBytes(3).toString('hex').toUpperCase();
    const q = await api<{ id: string }>('POST', '/api/v1/qualifications', { code: `WOP-Q-${suffix}`, name: `Page ticket ${suffix}` });
    const typeName = `page rig ${suffix.toLowerCase()}`;
    const type = await api<{ id: string }>('POST', '/api/v1/equipment-types', {
      code: `WOP-T-${suffix}`,
      name: typeName,
      requiredQualificationIds: [q.id],
    });
    const tag = `WOP-${suffix}`;
    const machine = await api<{ id: string }>('POST', '/api/v1/equipment', {
      assetTag: tag,
      name: `Page rig ${suffix}`,
      equipmentTypeId: type.id,
    });
    const driverName = `Wren Page ${suffix}`;
    const driver = await api<{ id: string }>('POST', '/api/v1/drivers', {
      name: driverName,
      dutyStatus: 'on_duty',
      qualifications: [{ qualificationId: q.id, expiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString() }],
    });
    const site = await api<{ id: string }>('POST', '/api/v1/sites', { name: `Page yard ${suffix}`, address: '9 Page Road, Bolton' });
    const description = `Lift the cabins at Page yard ${suffix}\nGate code 1234`;
    const wo = await api<{ id: string; number: string; dispatchIds: string[] }>('POST', '/api/v1/work-orders', {
      siteId: site.id,
      description,
      priority: 'urgent',
      lines: [{ equipmentTypeId: type.id, quantity: 1 }],
    });
    const first = wo.dispatchIds[0] ?? '';
    let d = await api<Dispatch>('GET', `/api/v1/dispatches/${first}`);
    // Automatic dispatch may be on or off for the tenant: assign by hand when it waits.
    if (d.status === 'queued')
      d = await api<Dispatch>(
        'POST',
        `/api/v1/dispatches/${first}/assign`,
        { equipmentId: machine.id, driverId: driver.id },
        { 'if-match': `"${d.version}"` },
      );
    expect(d.status).toBe('dispatched');
    // Recalled and held: a status report for the first dispatch, a second dispatch held (never dispatched meanwhile).
    await api(
      'POST',
      `/api/v1/dispatches/${first}/recall`,
      { reason: 'Crane booked twice', hold: { reason: 'Waiting for the site to call' } },
      {
        'if-match': `"${d.version}"`,
      },
    );

    const context = await newContext(browser);
    // A busy machine loads the app slowly; nothing here is timed.
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    try {
      await signIn(page, DEMO.dispatcher, '/dispatch');
      // From the card: the held work's card links to its page.
      const card = page.getByTestId('held-group').locator(`[data-work-order="${wo.number}"]`);
      await card.getByRole('link', { name: wo.number }).click();
      await page.waitForURL(new RegExp(`/work-orders/${wo.number}$`));

      await expect(page.getByTestId('work-order-description').textContent()).resolves.toBe(description);
      await page.getByText(`Site: Page yard ${suffix}, 9 Page Road, Bolton`).waitFor();
      const line = page.getByTestId('work-order-line');
      await line.getByText(`WOP-T-${suffix} — ${typeName}`).waitFor();
      await expect(line.count()).resolves.toBe(1);

      const dispatches = page.getByTestId('work-order-dispatch');
      await expect.poll(() => dispatches.count()).toBe(2);
      const recalled = page.locator('[data-testid="work-order-dispatch"][data-status="recalled"]');
      await recalled.getByText('Recalled: Crane booked twice').waitFor();
      await recalled.getByText(`${tag} — Page rig ${suffix}`).waitFor();
      await recalled.getByText(driverName).waitFor();
      await page
        .locator('[data-testid="work-order-dispatch"][data-status="held"]')
        .getByText('Held: Waiting for the site to call')
        .waitFor();
      await recalled.getByRole('button', { name: 'Show history of dispatch 1' }).click();
      const history = recalled.getByTestId('dispatch-history');
      await history.locator('[data-action="dispatch.recalled"]').waitFor();
      await expect(
        history.locator('[data-action="dispatch.dispatched"], [data-action="dispatch.assigned"]').count(),
      ).resolves.toBeGreaterThan(0);

      const report = page.getByTestId('work-order-report');
      await report.getByText('Recalled').waitFor();
      await expect(report.textContent()).resolves.toContain(driverName);
      await page.getByTestId('work-order-audit-events').locator('[data-action="work_order.created"]').waitFor();
      await expect(page.locator('h1').count()).resolves.toBe(1);
      expect(await seriousAxeFindings(page)).toEqual([]);
      await screenshot(page, '85-work-order-page');

      // From search: its number leads to the same page.
      await page.getByRole('link', { name: '← Board' }).click();
      await page.waitForURL(/\/dispatch$/);
      await page.getByRole('button', { name: 'Search (press /)' }).click();
      const box = page.getByRole('dialog', { name: 'Search' }).getByLabel(/Work order number, description/);
      await box.fill(wo.number);
      await page.getByTestId('search-results').getByRole('listitem').filter({ hasText: wo.number }).first().waitFor();
      await box.press('Enter');
      await page.waitForURL(new RegExp(`/work-orders/${wo.number}$`));
      await page.getByTestId('work-order-lines').waitFor();
    } finally {
      await context.close();
      // Nothing of this test left to match: its driver off duty.
      await api('POST', `/api/v1/drivers/${driver.id}/duty`, { dutyStatus: 'off_duty' });
    }
  });
});
