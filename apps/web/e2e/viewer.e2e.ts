import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

describe('viewer', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('a viewer sees reports and analytics but no edit buttons, and cannot open administration', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.viewer);
    expect(new URL(page.url()).pathname).toBe('/reports');
    await page.getByRole('tab', { name: 'Status reports' }).waitFor();
    await page.getByRole('tab', { name: 'Analytics' }).click();
    await page.getByText('Fulfilment rate').waitFor();
    await screenshot(page, '62-viewer-analytics');
    const editing = page.getByRole('button', { name: /^(new|edit|add note|create|save|import|dry run)/i });
    await expect(editing.count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Administration' }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Dispatcher console' }).count()).resolves.toBe(0);

    // A typed URL to an admin screen lands back on the viewer's home.
    await page.goto('/admin/users');
    await page
      .getByLabel('E-mail')
      .or(page.getByRole('tab', { name: 'Status reports' }))
      .first()
      .waitFor();
    if (await page.getByLabel('E-mail').count()) await signIn(page, DEMO.viewer, '/admin/users');
    expect(new URL(page.url()).pathname).toBe('/reports');
    await context.close();
  });
});
