import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

async function choose(page: Page, field: Locator, option: string): Promise<void> {
  await field.click();
  await page.getByRole('option', { name: option }).first().click();
  // A multi-select keeps its list open; a select closes it (and Escape would close the dialog).
  if (await page.getByRole('listbox').isVisible()) await page.keyboard.press('Escape');
}

async function createVia(
  page: Page,
  section: string,
  button: string,
  fill: (dialog: Locator) => Promise<void>,
  expectRow: string,
): Promise<void> {
  await page.getByRole('tab', { name: section, exact: true }).click();
  await page.getByRole('button', { name: button }).click();
  const dialog = page.getByRole('dialog');
  await fill(dialog);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('cell', { name: expectRow }).first().waitFor();
}

describe('administration', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('an admin invites a user with roles; an invalid e-mail is refused beside the field', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/users');
    const table = page.getByTestId('table-users');
    await table.waitFor();
    await expect(table.getByText('dispatcher@demo.test').count()).resolves.toBe(1);

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('E-mail').fill('not-an-email');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog
      .getByText(/email|e-mail/i)
      .nth(1)
      .waitFor();
    await screenshot(page, '40-admin-user-invalid');

    await dialog.getByLabel('E-mail').fill('new.dispatcher@demo.test');
    await dialog.getByLabel('Name').fill('Nora New');
    await dialog.getByLabel('Roles').click();
    await page.getByRole('option', { name: 'dispatcher' }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    await table.getByText('new.dispatcher@demo.test').waitFor();
    await screenshot(page, '40-admin-users');
    await context.close();
  });

  it('an admin sets up qualifications, an equipment type, equipment, a driver and a site', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/qualifications');
    await createVia(
      page,
      'Qualifications',
      'New qualification',
      async (d) => {
        await d.getByLabel('Code').fill('CDL-X');
        await d.getByLabel('Name').fill('Commercial licence X');
      },
      'CDL-X',
    );
    // The shared schema refuses a bad code before anything is sent.
    await page.getByRole('button', { name: 'New qualification' }).click();
    await page.getByRole('dialog').getByLabel('Code').fill('bad code!');
    await page.getByRole('dialog').getByLabel('Name').fill('x');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page
      .getByRole('dialog')
      .getByText(/letters, digits/)
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await screenshot(page, '30-admin-qualifications');

    await createVia(
      page,
      'Equipment types',
      'New equipment type',
      async (d) => {
        await d.getByLabel('Code').fill('TIPPER-X');
        await d.getByLabel('Name').fill('Tipper truck X');
        await choose(page, d.getByLabel('Required qualifications'), 'CDL-X — Commercial licence X');
      },
      'TIPPER-X',
    );
    await page.getByRole('cell', { name: 'CDL-X' }).waitFor();

    await createVia(
      page,
      'Equipment',
      'New equipment',
      async (d) => {
        await d.getByLabel('Asset tag').fill('TX-01');
        await d.getByLabel('Name').first().fill('Tipper 01');
        await choose(page, d.getByLabel('Type'), 'TIPPER-X — Tipper truck X');
      },
      'TX-01',
    );
    await screenshot(page, '33-admin-equipment');

    await createVia(
      page,
      'Drivers',
      'New driver',
      async (d) => {
        await d.getByLabel('Name').first().fill('Riley Road');
        await d.getByLabel('Phone').fill('+1 555 0100');
        await choose(page, d.getByLabel('Qualifications held'), 'CDL-X — Commercial licence X');
      },
      'Riley Road',
    );
    await screenshot(page, '34-admin-drivers');

    await createVia(
      page,
      'Sites',
      'New site',
      async (d) => {
        await d.getByLabel('Name').first().fill('Harbour Yard');
        await d.getByLabel('Address').fill('1 Quay Street');
        await d.getByLabel('Contact phone').fill('+1 555 0199');
      },
      'Harbour Yard',
    );
    await screenshot(page, '31-admin-sites');
    await context.close();
  });

  it('an admin creates a region and puts a site in it; the list shows the region', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/regions');
    await createVia(
      page,
      'Regions',
      'New region',
      async (d) => {
        await d.getByLabel('Code').fill('NORTH-X');
        await d.getByLabel('Name').fill('North depot X');
      },
      'NORTH-X',
    );
    await screenshot(page, '35-admin-regions');
    await createVia(
      page,
      'Sites',
      'New site',
      async (d) => {
        await d.getByLabel('Name').first().fill('North Quarry X');
        await d.getByLabel('Address').fill('9 Quarry Lane');
        await choose(page, d.getByLabel('Region', { exact: true }), 'NORTH-X — North depot X');
      },
      'North Quarry X',
    );
    await page
      .getByRole('row', { name: /North Quarry X/ })
      .getByText('NORTH-X')
      .waitFor();
    await context.close();
  });

  it('an admin imports a CSV: the dry run lists the bad row, the clean file is imported', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/import');
    // Sites is the default kind.
    await page.getByText('Columns: name, address').waitFor();
    const fileInput = page.locator('input[type="file"]');
    const stamp = Date.now().toString(36);
    const upload = (name: string, text: string) => fileInput.setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    await upload('bad.csv', `name,address,lat,lng\nImported yard ${stamp},"1 Dock Rd, Salford",53.47,-2.29\nNo latitude,2 Road,95,-2\n`);
    await page.getByRole('button', { name: 'Dry run' }).click();
    const report = page.getByTestId('import-report');
    await report.getByText('Dry run — nothing was written').waitFor();
    // Line, field and reason in their own columns; the totals in words.
    const refused = report.getByRole('row').filter({ has: page.getByRole('cell', { name: 'lat', exact: true }) });
    await expect(refused.getByRole('cell').first().textContent()).resolves.toBe('3');
    await expect(report.getByTestId('import-summary').textContent()).resolves.toBe(
      '2 rows read: 1 valid, 1 refused. Nothing was written (dry run).',
    );
    await screenshot(page, '45-admin-import-dry-run');
    await upload('good.csv', `name,address,lat,lng\nImported yard ${stamp},"1 Dock Rd, Salford",53.47,-2.29\n`);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await report.getByText('Imported', { exact: true }).waitFor();
    await expect(report.getByTestId('import-summary').textContent()).resolves.toBe('1 row read: 1 valid. 1 created.');
    await page.getByRole('tab', { name: 'Sites', exact: true }).click();
    await page
      .getByRole('cell', { name: `Imported yard ${stamp}` })
      .first()
      .waitFor();
    await context.close();
  });
  it('an admin subscribes a webhook: the secret is shown once, a test delivery shows in the log, the secret can be rotated', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/webhooks');
    await page.getByRole('button', { name: 'New webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'New webhook' });
    await dialog.getByLabel('Receiver URL').fill(`${baseUrl()}/hooks/yardmaster`);
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secret = page.getByTestId('webhook-secret');
    await expect(secret.textContent()).resolves.toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    const card = page
      .locator('[data-testid^="webhook-"]')
      .filter({ hasText: `${baseUrl()}/hooks/yardmaster` })
      .first();
    await card.getByRole('button', { name: 'Send a test' }).click();
    await card.getByRole('cell', { name: 'webhook.test' }).first().waitFor();
    expect(await seriousAxeFindings(page)).toEqual([]);
    await screenshot(page, '46-admin-webhooks');
    await card.getByRole('button', { name: 'Rotate secret' }).click();
    await expect(page.getByTestId('webhook-secret').textContent()).resolves.toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    await context.close();
  });

  it('every admin table has a search box that filters the rows', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.admin, '/admin/equipment');
    const table = page.getByTestId('table-equipment');
    await table.waitFor();
    await page.getByTestId('search-equipment').fill('CRANE-50T');
    await expect
      .poll(async () => (await table.getByRole('row').allTextContents()).slice(1).every((r) => r.includes('CRANE-50T')))
      .toBe(true);
    expect(await seriousAxeFindings(page)).toEqual([]);
    await context.close();
  });
});
