import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEMO, launchBrowser, newContext, screenshot, signIn, watchCspViolations } from './support/browser';

describe('sign-in', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('a dispatcher signs in through the login page, keeps no token in localStorage, and signs out', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const violations = watchCspViolations(page);
    await page.goto('/');
    await page.getByLabel('E-mail').waitFor();
    await screenshot(page, '00-login');
    await signIn(page, DEMO.dispatcher);
    await expect(page.getByTestId('user-name').textContent()).resolves.toBe('Dana Dispatcher');
    expect(new URL(page.url()).pathname).toBe('/dispatch');
    await expect(page.getByRole('link', { name: 'Administration' }).count()).resolves.toBe(0);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toMatch(/access_token|refresh_token|eyJ/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider asks to confirm the sign-out (RP-initiated logout), then returns to the app.
    const confirm = page.getByRole('button', { name: /sign me out/i });
    const signInAgain = page.getByTestId('app-sign-in');
    await confirm.or(signInAgain).first().waitFor();
    if (await confirm.count()) {
      await screenshot(page, '00-logout-confirm');
      await confirm.click();
    }
    await signInAgain.waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await screenshot(page, '00-signed-out');
    // The security headers' policy refuses inline script and style: nothing on the way was refused.
    expect(violations).toEqual([]);
    await context.close();
  });

  it('Swagger UI at /docs works under the Content-Security-Policy', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const violations = watchCspViolations(page);
    const response = await page.goto('/docs');
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
    // The served document lists every operation; the UI renders every tag under the policy. Swagger
    // UI virtualises long lists (only what is on screen is in the page), so scroll through it.
    const document = (await (await page.request.get('/docs/json')).json()) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    expect(Object.keys(document.paths).length).toBeGreaterThan(50);
    const tags = new Set(Object.values(document.paths).flatMap((ops) => Object.values(ops).flatMap((op) => op.tags ?? [])));
    const rendered = new Set<string>();
    for (let i = 0; i < 200 && rendered.size < tags.size; i++) {
      const visible = await page.locator('h3.opblock-tag').evaluateAll((els) => els.map((e) => e.getAttribute('data-tag') ?? ''));
      for (const tag of visible) rendered.add(tag);
      await page.mouse.wheel(0, 500);
      await page.waitForTimeout(50);
    }
    expect([...tags].filter((tag) => !rendered.has(tag))).toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('a wrong password is refused on the login page', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('E-mail').fill(DEMO.viewer.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong e-mail or password');
    await context.close();
  });
});
