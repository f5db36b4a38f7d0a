import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { seriousA11yFindings } from './support/axe';
import { DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

/**
 * The dispatcher console as a dispatcher uses it (issue 15): manual assignment offers only what is
 * allowed and says why not, a driver's decline reaches the board and the notification centre,
 * recall can hold, expired tickets show as expired; each screen checked with axe-core; click to
 * updated screen timed (asserted at 3× the 300 ms target here, measured by `npm run bench:console`).
 */

const ROUNDS = Math.max(1, Number(process.env.CONSOLE_BENCH_ROUNDS ?? '1'));
const TARGET_MS = 300;
const TAP_TARGET_MS = 1000;
const timings: Record<string, number[]> = {};
const root = fileURLToPath(new URL('../../../', import.meta.url));

type Clocked = { __clickAt?: number | null };

/**
 * Click to updated screen, on the page's own clock: from the click event (so Playwright's wait for
 * the button to be ready is not counted) to the moment the test sees the change (its polling and
 * one DevTools round trip are). `page` null: wall clock, for a tap on another page.
 */
async function timed(name: string, act: () => Promise<void>, until: () => Promise<void>, page: Page | null = null): Promise<void> {
  await page?.evaluate(() => {
    (window as Clocked).__clickAt = null;
    document.addEventListener('click', () => ((window as Clocked).__clickAt = performance.now()), { capture: true, once: true });
  });
  const started = performance.now();
  await act();
  await until();
  const ms = page
    ? await page.evaluate(() => performance.now() - ((window as Clocked).__clickAt ?? performance.now()))
    : performance.now() - started;
  (timings[name] ??= []).push(ms);
}

const p95 = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
};

async function choose(page: Page, field: Locator, option: string): Promise<void> {
  await field.click();
  await page.getByRole('option', { name: option }).first().click();
  if (await page.getByRole('listbox').isVisible()) await page.keyboard.press('Escape');
}

const card = (page: Page, column: string, workOrder: string): Locator =>
  page.getByTestId(`column-${column}`).locator(`[data-testid="dispatch-card"][data-work-order="${workOrder}"]`);

async function act(page: Page, workOrder: string, column: string, action: string): Promise<Locator> {
  await card(page, column, workOrder).first().locator(`[data-actions-for="${workOrder}"]`).click();
  await page.getByRole('menuitem', { name: action }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  return dialog;
}

async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(await seriousA11yFindings(page), where).toEqual([]);
}

describe('dispatcher console', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    mkdirSync(path.join(root, 'artifacts'), { recursive: true });
    writeFileSync(path.join(root, 'artifacts', 'console-timings.json'), JSON.stringify(timings, null, 2));
    await browser.close();
  });

  it(
    'assigns from candidates with reasons, shows a decline with its reason, recalls and holds, shows expired tickets; fast and accessible',
    async () => {
      const board = await (await newContext(browser)).newPage();
      await signIn(board, DEMO.dispatcher, '/dispatch');
      await board.getByTestId('board').waitFor();
      await board.getByTestId('dispatch-card').first().waitFor();
      await expect(board.locator('h1').count()).resolves.toBe(1);
      await expectAccessible(board, 'board');

      // Automatic dispatch off first: new work waits for the dispatcher's pick, and nothing queued
      // by other tests is given to the demo driver once they are free.
      const auto = board.getByRole('switch', { name: 'Dispatch automatically' });
      if (await auto.isChecked()) {
        const saved = board.waitForResponse((r) => r.url().endsWith('/api/v1/settings/dispatch') && r.request().method() === 'PATCH');
        await auto.click();
        await saved;
      }
      await expect.poll(() => auto.isChecked()).toBe(false);

      // The demo driver finishes whatever the demo morning gave them, so they are free.
      const driver = await (await newContext(browser, { phone: true })).newPage();
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
        if (completing) {
          const dialog = driver.getByRole('dialog');
          await dialog.getByRole('button', { name: 'Complete job' }).click();
          await dialog.getByRole('button', { name: 'Yes, complete' }).click();
          await dialog.waitFor({ state: 'detached' });
        }
        await driver.waitForFunction(
          (b) => document.querySelector('[data-testid="my-dispatch"]')?.getAttribute('data-status') !== b,
          before,
        );
      }
      await idle.waitFor();

      // Create: the new card is on the board at once.
      const numbers = () =>
        board.locator('[data-testid="dispatch-card"]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-work-order') ?? ''));
      let workOrder = '';
      for (let round = 0; round < ROUNDS; round++) {
        const before = new Set(await numbers());
        await board.getByRole('button', { name: 'New work order' }).click();
        const form = board.getByRole('dialog');
        await choose(board, form.getByLabel('Site'), 'Mayfield Park phase 2');
        await form.getByLabel('Description').fill(`Console test ${round}`);
        await choose(board, form.getByLabel('Equipment type of line 1'), 'EXC-20T — 20 t tracked excavator');
        await timed(
          'create',
          () => form.getByRole('button', { name: 'Create work order' }).click(),
          async () => {
            await board.waitForFunction(
              (known) =>
                [...document.querySelectorAll('[data-testid="column-queued"] [data-testid="dispatch-card"]')].some(
                  (c) => !known.includes(c.getAttribute('data-work-order') ?? ''),
                ),
              [...before],
            );
          },
          board,
        );
        workOrder = (await numbers()).find((n) => !before.has(n)) ?? '';
        if (round < ROUNDS - 1) {
          const cancel = await act(board, workOrder, 'queued', 'Cancel request…');
          await cancel.getByLabel('Reason').fill('bench');
          await cancel.getByRole('button', { name: 'Cancel request' }).click();
          await card(board, 'queued', workOrder).waitFor({ state: 'detached' });
        }
      }
      expect(workOrder).toMatch(/^WO-/);
      await expect(card(board, 'queued', workOrder).getByTestId('queue-position').textContent()).resolves.toMatch(
        /^#\d+ of \d+ 20 t tracked excavator$/,
      );

      // Manual assignment: eligible first, the others greyed with the reasons the server gives.
      const assign = await act(board, workOrder, 'queued', 'Assign machine and driver…');
      await assign.getByTestId('candidate').first().waitFor();
      const refused = assign.locator('[data-testid="candidate"][data-eligible="false"]');
      expect(await refused.count()).toBeGreaterThan(0);
      await expect(refused.first().isDisabled()).resolves.toBe(true);
      const reasons = await assign
        .locator('.mantine-Radio-root:has(input[data-eligible="false"]) .mantine-Radio-description')
        .allTextContents();
      expect(reasons.join(' | ')).toMatch(/off duty|missing qualification|expired on|wrong type|on WO-|in maintenance/);
      await screenshot(board, '30-console-assign-candidates');
      await expectAccessible(board, 'manual assignment dialog');
      await assign.getByLabel('Sam Hughes').check();
      await timed(
        'assign',
        () => assign.getByRole('button', { name: 'Assign', exact: true }).click(),
        () => card(board, 'dispatched', workOrder).waitFor(),
        board,
      );
      await board.waitForFunction(
        () => document.activeElement?.getAttribute('data-actions-for') !== null || document.activeElement?.id === 'dispatch-title',
      );

      // The driver declines with a reason: on the board and in the notification centre within a second.
      await mine.waitFor();
      await expect(mine.textContent()).resolves.toContain(workOrder);
      await mine.getByRole('button', { name: 'Decline this job' }).click();
      await driver.getByLabel('Why do you decline?').fill('Flat tyre on the van');
      await timed(
        'driver-tap-to-board',
        () => driver.getByRole('button', { name: 'Decline', exact: true }).click(),
        () => card(board, 'queued', workOrder).getByTestId('decline-reason').filter({ hasText: 'Flat tyre on the van' }).waitFor(),
      );
      await expect(card(board, 'queued', workOrder).getByTestId('decline-reason').textContent()).resolves.toBe(
        'Sam Hughes declined: Flat tyre on the van',
      );
      await board.getByTestId('notifications-button').click();
      const centre = board.getByTestId('notification-centre');
      await centre
        .locator('[data-kind="declined"]')
        .filter({ hasText: `Sam Hughes declined ${workOrder}` })
        .filter({ hasText: 'Reason: Flat tyre on the van' })
        .waitFor();
      await screenshot(board, '31-console-notifications');
      await expectAccessible(board, 'notification centre');
      await board.keyboard.press('Escape');

      for (let round = 0; round < ROUNDS; round++) {
        // Reprioritise.
        const want = round % 2 === 0 ? 'Urgent' : 'Low';
        const priority = await act(board, workOrder, 'queued', 'Change priority…');
        await priority.getByText(want, { exact: true }).click();
        await timed(
          'reprioritise',
          () => priority.getByRole('button', { name: 'Change priority' }).click(),
          () => card(board, 'queued', workOrder).getByText(want, { exact: true }).waitFor(),
          board,
        );
        // Assign (the first eligible pair) and recall back to the queue.
        const dialog = await act(board, workOrder, 'queued', 'Assign machine and driver…');
        await dialog.locator('[data-testid="candidate"][data-eligible="true"]').first().waitFor();
        await timed(
          'assign',
          () => dialog.getByRole('button', { name: 'Assign', exact: true }).click(),
          () => card(board, 'dispatched', workOrder).waitFor(),
          board,
        );
        await card(board, 'dispatched', workOrder).locator('[data-actions-for]').waitFor();
        const recall = await act(board, workOrder, 'dispatched', 'Recall…');
        await recall.getByLabel('Reason').fill('Customer postponed');
        await timed(
          'recall',
          () => recall.getByRole('button', { name: 'Recall' }).click(),
          () => card(board, 'dispatched', workOrder).waitFor({ state: 'detached' }),
          board,
        );
        await card(board, 'queued', workOrder).waitFor();
      }

      // Recall and hold: held work is shown with its reason and is not dispatched until released.
      const again = await act(board, workOrder, 'queued', 'Assign machine and driver…');
      await again.locator('[data-testid="candidate"][data-eligible="true"]').first().waitFor();
      await again.getByRole('button', { name: 'Assign', exact: true }).click();
      await card(board, 'dispatched', workOrder).waitFor();
      const hold = await act(board, workOrder, 'dispatched', 'Recall…');
      await hold.getByLabel('Reason').first().fill('Site gate locked');
      await hold.getByLabel('Hold the work until someone releases it').check();
      await hold.getByLabel('Why is it held?').fill('Waiting for the site manager to call back');
      await expectAccessible(board, 'recall dialog');
      await timed(
        'recall',
        () => hold.getByRole('button', { name: 'Recall' }).click(),
        () => card(board, 'dispatched', workOrder).waitFor({ state: 'detached' }),
        board,
      );
      const heldCard = board.getByTestId('held-group').locator(`[data-work-order="${workOrder}"]`);
      await heldCard.getByText('Held: Waiting for the site manager to call back').waitFor();
      await expect(heldCard.getAttribute('data-status')).resolves.toBe('held');
      await screenshot(board, '32-console-held');
      await expectAccessible(board, 'board with held work');
      const release = await act(board, workOrder, 'queued', 'Release to the queue…');
      await release.getByRole('button', { name: 'Release' }).click();
      await heldCard.waitFor({ state: 'detached' });
      await board.getByTestId('column-queued').locator(`[data-work-order="${workOrder}"][data-status="queued"]`).waitFor();

      // Expired tickets show as expired, in red.
      await board.getByRole('tab', { name: 'Drivers' }).click();
      const expired = board.getByTestId('qualification-expired').first();
      await expired.waitFor();
      await expect(expired.textContent()).resolves.toMatch(/^[A-Z0-9-]+ expired on /);
      const colour = await expired.evaluate((el) => getComputedStyle(el).color);
      expect(colour).toBe('rgb(201, 42, 42)'); // red 9: red, and 5.4:1 on white
      await expectAccessible(board, 'drivers panel');

      // Automatic dispatch back on (the other browser tests expect it).
      await auto.click();
      await expect.poll(() => auto.isChecked()).toBe(true);

      const summary = Object.fromEntries(
        Object.entries(timings).map(([k, v]) => [k, { n: v.length, p95: Math.round(p95(v)), max: Math.round(Math.max(...v)) }]),
      );
      console.log(`console timings (ms): ${JSON.stringify(summary)}`);
      for (const name of ['create', 'reprioritise', 'assign', 'recall']) expect(p95(timings[name] ?? []), name).toBeLessThan(3 * TARGET_MS);
      expect(p95(timings['driver-tap-to-board'] ?? []), 'driver tap to board').toBeLessThan(3 * TAP_TARGET_MS);
    },
    240_000 * ROUNDS,
  );
});
