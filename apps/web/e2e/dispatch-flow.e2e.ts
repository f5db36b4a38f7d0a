import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

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

async function newWorkOrder(page: Page, description: string): Promise<void> {
  await page.getByRole('button', { name: 'New work order' }).click();
  const dialog = page.getByRole('dialog');
  await choose(page, dialog.getByLabel('Site'), 'Flow Quarry');
  await dialog.getByLabel('Description').fill(description);
  await choose(page, dialog.getByLabel('Equipment type of line 1'), 'FLOW-T — Flow tipper');
  await dialog.getByRole('button', { name: 'Create work order' }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Completing asks for the proof the tenant wants (all optional in the demo), then for a confirmation. */
async function confirmCompletion(driver: Page, notes?: string): Promise<void> {
  const dialog = driver.getByRole('dialog');
  if (notes) await dialog.getByLabel(/Notes for the report/).fill(notes);
  await dialog.getByRole('button', { name: 'Complete job' }).click();
  await dialog.getByRole('button', { name: 'Yes, complete' }).click();
  await dialog.waitFor({ state: 'detached' });
}

describe('dispatch, live', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('a work order is dispatched, another queues with its reason, the driver completes the first and the board dispatches the second without reloading; the PDF downloads', async () => {
    // Setup through the administration screens: one tipper and one qualified driver (the demo driver).
    const adminCtx = await newContext(browser);
    const admin = await adminCtx.newPage();
    await signIn(admin, DEMO.admin, '/admin/qualifications');
    await createVia(
      admin,
      'Qualifications',
      'New qualification',
      async (d) => {
        await d.getByLabel('Code').fill('FLOW-Q');
        await d.getByLabel('Name').fill('Flow licence');
      },
      'FLOW-Q',
    );
    await createVia(
      admin,
      'Equipment types',
      'New equipment type',
      async (d) => {
        await d.getByLabel('Code').fill('FLOW-T');
        await d.getByLabel('Name').fill('Flow tipper');
        await choose(admin, d.getByLabel('Required qualifications'), 'FLOW-Q — Flow licence');
      },
      'FLOW-T',
    );
    await createVia(
      admin,
      'Equipment',
      'New equipment',
      async (d) => {
        await d.getByLabel('Asset tag').fill('FLOW-1');
        await d.getByLabel('Name').first().fill('Flow tipper 1');
        await choose(admin, d.getByLabel('Type'), 'FLOW-T — Flow tipper');
      },
      'FLOW-1',
    );
    // The demo driver (linked to driver@demo.test) now holds only FLOW-Q, so the seeded queue
    // cannot claim them and the flow below is theirs alone.
    await admin.getByRole('tab', { name: 'Drivers', exact: true }).click();
    // By name: other browser tests add drivers with sign-ins of their own.
    await admin.getByRole('row').filter({ hasText: 'Sam Hughes' }).getByRole('button', { name: 'Edit' }).click();
    const edit = admin.getByRole('dialog');
    const held = edit.getByLabel('Qualifications held');
    await held.click();
    for (let i = 0; i < 12; i++) await held.press('Backspace');
    await choose(admin, held, 'FLOW-Q — Flow licence');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await createVia(
      admin,
      'Sites',
      'New site',
      async (d) => {
        await d.getByLabel('Name').first().fill('Flow Quarry');
        await d.getByLabel('Address').fill('9 Gravel Road');
        await d.getByLabel('Contact name').fill('Quinn Foreman');
        await d.getByLabel('Contact phone').fill('+1 555 0142');
      },
      'Flow Quarry',
    );
    await adminCtx.close();

    // The driver (a second browser context, phone-sized) finishes any job the demo morning gave them.
    const driverCtx = await newContext(browser, { phone: true });
    const driver = await driverCtx.newPage();
    await signIn(driver, DEMO.driver, '/driver');
    const mine = driver.getByTestId('my-dispatch');
    const idle = driver.getByText('No dispatch right now');
    for (let i = 0; i < 12; i++) {
      await mine.or(idle).first().waitFor();
      if (await idle.isVisible()) break;
      const before = await mine.getAttribute('data-status');
      if (before === 'completed') {
        // The completion is on its way to the server; then the job leaves the phone.
        await driver.waitForFunction(
          () => document.querySelector('[data-testid="my-dispatch"]')?.getAttribute('data-status') !== 'completed',
        );
        continue;
      }
      const step = mine.getByRole('button', { name: /Start driving|Arrived on site|Leaving site|^Complete$/ });
      const completing = (await step.textContent()) === 'Complete';
      await step.click();
      if (completing) await confirmCompletion(driver);
      await driver.waitForFunction((b) => document.querySelector('[data-testid="my-dispatch"]')?.getAttribute('data-status') !== b, before);
    }
    await idle.waitFor();

    // The dispatcher signs in through the login page and creates two work orders.
    const dispatcherCtx = await newContext(browser);
    const board = await dispatcherCtx.newPage();
    await signIn(board, DEMO.dispatcher, '/dispatch');
    await board.getByTestId('board').waitFor();
    await board.evaluate(() => ((window as unknown as { noReload: boolean }).noReload = true));

    await newWorkOrder(board, 'Haul gravel, first');
    // The demo morning fills the board too: our cards are the ones for Flow Quarry.
    const dispatched = board.getByTestId('column-dispatched').getByTestId('dispatch-card').filter({ hasText: 'Flow Quarry' });
    await dispatched.first().waitFor();
    const firstNumber = await dispatched.first().getAttribute('data-work-order');

    await newWorkOrder(board, 'Haul gravel, second');
    const queued = board.getByTestId('column-queued').getByTestId('dispatch-card').filter({ hasText: 'Flow Quarry' });
    await queued.first().waitFor();
    const secondNumber = await queued.first().getAttribute('data-work-order');
    expect(secondNumber).not.toBe(firstNumber);
    await expect(queued.first().getByTestId('queue-position').textContent()).resolves.toMatch(/^#1 of \d+ Flow tipper$/);
    await queued.first().getByTestId('queue-reason').waitFor();
    await screenshot(board, '10-dispatch-board');

    // The driver moves the first through to completed.
    await mine.waitFor();
    await expect(mine.textContent()).resolves.toContain(firstNumber);
    await screenshot(driver, '20-driver-phone');
    // The dispatcher starts a recall while the driver sets off: the version moved on, so the
    // server refuses (409): the card the board moved at once goes back and a notice says why.
    await board.getByRole('button', { name: `Actions for ${firstNumber}` }).click();
    await board.getByRole('menuitem', { name: 'Recall…' }).click();
    const recall = board.getByRole('dialog');
    await recall.getByLabel('Reason').fill('Customer postponed');
    await mine.getByRole('button', { name: 'Start driving (en route)' }).click();
    await driver.getByTestId('my-dispatch-status').filter({ hasText: 'en route' }).waitFor();
    await driver.locator('[data-testid="my-dispatch"][data-synced="true"]').waitFor(); // the server has applied it
    await recall.getByRole('button', { name: 'Recall' }).click();
    await recall.waitFor({ state: 'detached' });
    await board.getByText(`${firstNumber}: not done`).waitFor();
    await screenshot(board, '12-dispatch-refused');
    await board.getByTestId('column-en_route').locator(`[data-work-order="${firstNumber}"]`).waitFor();

    for (const [button, status] of [
      ['Arrived on site', 'on site'],
      ['Leaving site (returning)', 'returning'],
    ] as const) {
      await mine.getByRole('button', { name: button }).click();
      await driver.getByTestId('my-dispatch-status').filter({ hasText: status }).waitFor();
    }
    await mine.getByRole('button', { name: 'Complete', exact: true }).click();
    await confirmCompletion(driver, 'Two loads, site clean.');

    // The dispatcher's board shows the queued one dispatched, without reloading.
    await board.getByTestId('column-dispatched').locator(`[data-work-order="${secondNumber}"]`).waitFor({ timeout: 30_000 });
    await expect(board.evaluate(() => (window as unknown as { noReload?: boolean }).noReload)).resolves.toBe(true);
    await screenshot(board, '11-dispatch-board-after');

    // The status report of the first, and its PDF.
    await board.getByRole('link', { name: 'Reports' }).click();
    await board
      .getByTestId('reports-table')
      .getByText(firstNumber ?? '')
      .first()
      .click();
    await board.getByRole('button', { name: 'Download PDF' }).waitFor();
    await screenshot(board, '63-status-report');
    const [download] = await Promise.all([board.waitForEvent('download'), board.getByRole('button', { name: 'Download PDF' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const file = await download.path();
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');

    await driverCtx.close();
    await dispatcherCtx.close();
  });
});
