import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seriousAxeFindings } from './support/axe';
import { DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

// The planning screen itself; the app shell's own findings (header text contrast, an unnamed icon
// button) are not this screen's and are reported separately.
const PLANNING = '[data-testid="planning-page"]';

describe('planning', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  // Days far enough ahead that nothing else in the demo overlaps them.
  const first = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
  const last = new Date(Date.now() + 202 * 86_400_000).toISOString().slice(0, 10);

  it('a driver asks for leave and a dispatcher approves it', async () => {
    const driverContext = await newContext(browser);
    const driverPage = await driverContext.newPage();
    await signIn(driverPage, DEMO.driver, '/planning');
    await driverPage.getByRole('heading', { name: 'Ask for leave' }).waitFor();
    await driverPage.getByLabel('First day').fill(first);
    await driverPage.getByLabel('Last day').fill(last);
    await driverPage.getByLabel('Reason').fill('family wedding');
    await driverPage.getByRole('button', { name: 'Request leave' }).click();
    const row = driverPage.getByRole('row').filter({ hasText: first });
    await row.getByText('requested').waitFor();
    await expect(row.textContent()).resolves.toContain('family wedding');
    expect(await seriousAxeFindings(driverPage, PLANNING)).toEqual([]);
    await screenshot(driverPage, '70-planning-leave-driver');
    await driverContext.close();

    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.dispatcher, '/planning/leave');
    const pending = page.getByRole('row').filter({ hasText: first });
    await pending.getByText('requested').waitFor();
    expect(await seriousAxeFindings(page, PLANNING)).toEqual([]);
    await pending.getByRole('button', { name: /^Approve leave/ }).click();
    await pending.getByText('approved').waitFor();
    // Who decided is asserted against the audit trail in planning-http.test.ts.
    await screenshot(page, '71-planning-leave-approved');
    await context.close();
  });

  it('a dispatcher reads the qualification forecast and exports it', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.dispatcher, '/planning/forecast');
    await page.getByRole('heading', { name: 'Qualifications expiring' }).waitFor();
    await page.getByRole('heading', { name: 'Days with too few qualified drivers on shift' }).waitFor();
    expect(await seriousAxeFindings(page, PLANNING)).toEqual([]);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    expect((await download).suggestedFilename()).toBe('qualification-forecast.csv');
    await screenshot(page, '72-planning-forecast');
    await context.close();
  });
});
