import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
export const screenshotsDir = path.join(root, 'artifacts', 'screenshots');

export const DEMO = {
  admin: { email: 'admin@demo.test', password: 'demo-admin' },
  dispatcher: { email: 'dispatcher@demo.test', password: 'demo-dispatcher' },
  driver: { email: 'driver@demo.test', password: 'demo-driver' },
  viewer: { email: 'viewer@demo.test', password: 'demo-viewer' },
} as const;

export function baseUrl(): string {
  return inject('baseUrl');
}

/** Debian's Chromium, never a downloaded browser. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function newContext(browser: Browser, options: { phone?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl(),
    acceptDownloads: true,
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1440, height: 900 },
    ...(options.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  context.setDefaultTimeout(20_000);
  // An uncaught error in the page goes to the test's output: a timeout then comes with its cause.
  context.on('weberror', (e) => console.error(`page error on ${e.page()?.url() ?? '?'}: ${e.error().stack ?? e.error().message}`));
  return context;
}

/** Signs in through the identity provider's login page, as a person would. */
export async function signIn(page: Page, who: { email: string; password: string }, path = '/'): Promise<void> {
  await page.goto(path);
  // The app sends the browser to the provider's login page (the app redirects by script).
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user-name').waitFor({ state: 'attached' });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotsDir, `${name}.png`), fullPage: true });
}

/** Content-Security-Policy violations the page reports (Chromium logs each one to the console). */
export function watchCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}
