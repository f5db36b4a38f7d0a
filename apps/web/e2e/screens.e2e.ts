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
      ['/dispatch', 'Dispatcher console', 'tour-dispatch'],
      ['/admin/qualifications', 'Administration', 'tour-admin-qualifications'],
      ['/admin/sites', 'Administration', 'tour-admin-sites'],
      ['/admin/import', 'CSV import', 'tour-admin-import'],
      ['/reports', 'Reports', 'tour-reports'],
      ['/reports?tab=analytics', 'Reports', 'tour-analytics'],
    ];
    for (const [path, heading, name] of screens) {
      // In-app navigation (no reload): the session stays in memory.
      await page.evaluate((p) => {
        window.history.pushState({}, '', p);
        window.dispatchEvent(new PopStateEvent('popstate'));
      }, path);
      await page.getByRole('heading', { name: heading }).first().waitFor();
      // Wait for the loaders to go (not for network idle: the live event stream stays open).
      await page
        .waitForFunction(() => document.querySelectorAll('[role="status"]').length === 0, undefined, { timeout: 10_000 })
        .catch(() => undefined);
      await screenshot(page, name);
    }
    await context.close();
  });

  it('a driver opens the driver view on a phone-sized screen', async () => {
    const context = await newContext(browser, { phone: true });
    const page = await context.newPage();
    await signIn(page, DEMO.driver, '/driver');
    await page.getByRole('heading', { name: 'My dispatch' }).waitFor();
    await screenshot(page, 'tour-driver-phone');
    await context.close();
  });
});
