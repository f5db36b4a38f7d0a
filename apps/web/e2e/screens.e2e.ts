import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

/** Every main screen opens from its URL, for its role, and is captured for review. */
describe('main screens', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('an admin opens each section', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/dispatch');
    const screens: [string, string, string][] = [
      ['/dispatch', 'Dispatcher console', '10-dispatch-board'],
      ['/admin/qualifications', 'Administration', '30-admin-qualifications'],
      ['/admin/sites', 'Administration', '31-admin-sites'],
      ['/admin/import', 'CSV import', '32-admin-import'],
      ['/reports', 'Reports', '60-reports'],
      ['/reports?tab=analytics', 'Reports', '61-analytics'],
    ];
    for (const [path, heading, name] of screens) {
      // In-app navigation (no reload): the session stays in memory.
      await page.evaluate((p) => {
        window.history.pushState({}, '', p);
        window.dispatchEvent(new PopStateEvent('popstate'));
      }, path);
      await page.getByRole('heading', { name: heading }).first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await screenshot(page, name);
    }
    await context.close();
  });

  it('a driver opens the driver view on a phone-sized screen', async () => {
    const context = await newContext(browser, { phone: true });
    const page = await context.newPage();
    await signIn(page, DEMO.driver, '/driver');
    await page.getByRole('heading', { name: 'My dispatch' }).waitFor();
    await screenshot(page, '20-driver-phone');
    await context.close();
  });
});
