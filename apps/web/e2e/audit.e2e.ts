import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

describe('audit', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('an admin reads the audit log and verifies the chain', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/audit');
    expect(new URL(page.url()).pathname).toBe('/audit');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect(page.getByTestId('verify-result').textContent()).resolves.toMatch(/Chain intact/);
    await screenshot(page, '50-audit');
    await context.close();
  });

  it('a viewer reads the audit log but cannot run the verification', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.viewer, '/audit');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await expect(page.getByRole('button', { name: 'Verify chain' }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Administration' }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Dispatcher console' }).count()).resolves.toBe(0);
    await context.close();
  });
});
