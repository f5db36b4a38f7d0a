import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { seriousA11yFindings } from './support/axe';
import { apiFor, type Api } from './support/api-token';
import { baseUrl, DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

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

type Clocked = { __clickAt?: number | null; __seenAt?: number | null };

/** What the screen shows once an action is done, checked in the page: a work order's card in a column (or not), with a label, or a new card. */
type Shows = { card: string; in: string; absent?: boolean; label?: string } | { newCardIn: string; known: string[] };

/**
 * Click to updated screen, on the page's own clock: from the click event to the first animation
 * frame at which the page shows the change (`shows`, checked in the page at every frame from
 * before the click). Neither Playwright's wait for the button to be ready nor the test's DevTools
 * round trips are counted.
 */
async function timed(name: string, act: () => Promise<void>, shows: Shows, page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as Clocked;
    w.__clickAt = null;
    w.__seenAt = null;
    document.addEventListener('click', () => (w.__clickAt = performance.now()), { capture: true, once: true });
  });
  const seen = page.waitForFunction(
    (s: Shows) => {
      const cards = (column: string) => [...document.querySelectorAll(`[data-testid="column-${column}"] [data-testid="dispatch-card"]`)];
      let shown: boolean;
      if ('newCardIn' in s) shown = cards(s.newCardIn).some((c) => !s.known.includes(c.getAttribute('data-work-order') ?? ''));
      else {
        const found = cards(s.in).find((c) => c.getAttribute('data-work-order') === s.card);
        const label = s.label;
        shown = s.absent
          ? found === undefined
          : found !== undefined &&
            (label === undefined || [...found.querySelectorAll('*')].some((e) => e.children.length === 0 && e.textContent === label));
      }
      const w = window as Clocked;
      if (shown && w.__seenAt == null) w.__seenAt = performance.now();
      return shown;
    },
    shows,
    { polling: 'raf' },
  );
  await act();
  await seen;
  const ms = await page.evaluate(() => {
    const w = window as Clocked;
    return (w.__seenAt ?? performance.now()) - (w.__clickAt ?? performance.now());
  });
  (timings[name] ??= []).push(ms);
}

/** Wall clock from a tap on another page (the driver's) until `until` sees its effect here. */
async function timedElsewhere(name: string, act: () => Promise<void>, until: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await act();
  await until();
  (timings[name] ??= []).push(performance.now() - started);
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

/**
 * Everything this test dispatches is its own, made through the API: a qualification, an equipment
 * type that needs it, one machine, a site, a driver with an account of their own (invited, so they
 * sign in on the phone) and a second driver whose ticket has expired. Nothing depends on what other
 * browser tests did to the demo data, and the demo drivers are never touched.
 */
type World = {
  suffix: string;
  typeName: string;
  siteName: string;
  driver: { id: string; name: string; email: string; password: string };
  expired: { id: string; name: string };
};

async function makeWorld(api: Api, browser: Browser): Promise<World> {
  const suffix = randomBytes(3).toString('hex').toUpperCase();
  const q = await api<{ id: string }>('POST', '/api/v1/qualifications', { code: `CON-Q-${suffix}`, name: `Console ticket ${suffix}` });
  const typeName = `console rig ${suffix.toLowerCase()}`;
  const type = await api<{ id: string }>('POST', '/api/v1/equipment-types', {
    code: `CON-T-${suffix}`,
    name: typeName,
    requiredQualificationIds: [q.id],
  });
  await api('POST', '/api/v1/equipment', { assetTag: `CON-${suffix}`, name: `Console rig ${suffix}`, equipmentTypeId: type.id });
  const siteName = `Console yard ${suffix}`;
  await api('POST', '/api/v1/sites', { name: siteName, address: '1 Test Street, Salford', position: { lat: 53.48, lng: -2.29 } });

  // The driver's own account: invited, then the password set through the invitation link.
  const email = `console-driver-${suffix.toLowerCase()}@demo.test`;
  const password = `Console-Driver-${suffix}-2026`;
  const name = `Casey Console ${suffix}`;
  const invited = await api<{ id: string; invitation: { url: string } | null }>('POST', '/api/v1/users', {
    email,
    name,
    roles: ['driver'],
  });
  if (!invited.invitation) throw new Error('the embedded provider gave no invitation link');
  const welcome = await newContext(browser, { phone: true });
  const page = await welcome.newPage();
  await page.goto(invited.invitation.url);
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page.getByTestId('user-name').waitFor({ state: 'attached', timeout: 30_000 });
  await welcome.close();
  const member = await api<{ subject: string | null }>('GET', `/api/v1/users/${invited.id}`);
  if (!member.subject) throw new Error('the invited driver has no subject after signing in');

  const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
  const driver = await api<{ id: string }>('POST', '/api/v1/drivers', {
    name,
    subject: member.subject,
    dutyStatus: 'on_duty',
    qualifications: [{ qualificationId: q.id, expiresAt: inAYear }],
  });
  const expiredName = `Ezra Expired ${suffix}`;
  const expired = await api<{ id: string }>('POST', '/api/v1/drivers', {
    name: expiredName,
    dutyStatus: 'on_duty',
    qualifications: [{ qualificationId: q.id, expiresAt: new Date(Date.now() - 3 * 86_400_000).toISOString() }],
  });
  return { suffix, typeName, siteName, driver: { id: driver.id, name, email, password }, expired: { id: expired.id, name: expiredName } };
}

describe('dispatcher console', () => {
  let browser: Browser;
  let api: Api | null = null;
  let world: World | null = null;
  let autoBefore: boolean | null = null;
  beforeAll(async () => {
    browser = await launchBrowser();
    api = apiFor(baseUrl(), DEMO.admin);
    // Automatic dispatch off for this test (new work waits for the dispatcher's pick); afterAll puts back what it was.
    autoBefore = (await api<{ autoProcessing: boolean }>('GET', '/api/v1/settings/dispatch')).autoProcessing;
    await api('PATCH', '/api/v1/settings/dispatch', { autoProcessing: false });
    world = await makeWorld(api, browser);
  });
  afterAll(async () => {
    mkdirSync(path.join(root, 'artifacts', 'screenshots'), { recursive: true });
    writeFileSync(path.join(root, 'artifacts', 'console-timings.json'), JSON.stringify(timings, null, 2));
    try {
      // This test's drivers off duty first, so turning matching back on gives them nothing.
      for (const id of world ? [world.driver.id, world.expired.id] : [])
        await api?.('POST', `/api/v1/drivers/${id}/duty`, { dutyStatus: 'off_duty' });
    } finally {
      if (api && autoBefore !== null) await api('PATCH', '/api/v1/settings/dispatch', { autoProcessing: autoBefore });
      await browser.close();
    }
  });

  it(
    'assigns from candidates with reasons, shows a decline with its reason, recalls and holds, shows expired tickets; fast and accessible',
    async () => {
      if (!world) throw new Error('no set-up');
      const { typeName, siteName, driver: me, expired: lapsed, suffix } = world;
      const board = await (await newContext(browser)).newPage();
      await signIn(board, DEMO.dispatcher, '/dispatch');
      // The first load fetches the app's chunks and every panel's data: slow on a busy machine (not timed).
      await board.getByTestId('board').waitFor({ timeout: 90_000 });
      await expect(board.locator('h1').count()).resolves.toBe(1);
      await expectAccessible(board, 'board');
      await expect.poll(() => board.getByRole('switch', { name: 'Dispatch automatically' }).isChecked()).toBe(false);

      // This test's driver signs in on their phone: free, nothing to do yet.
      const driver = await (await newContext(browser, { phone: true })).newPage();
      await signIn(driver, { email: me.email, password: me.password }, '/driver');
      const mine = driver.getByTestId('my-dispatch');
      await driver.getByText('No dispatch right now').waitFor();

      // Create: the new card is on the board at once.
      const numbers = () =>
        board.locator('[data-testid="dispatch-card"]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-work-order') ?? ''));
      let workOrder = '';
      for (let round = 0; round < ROUNDS; round++) {
        const before = new Set(await numbers());
        await board.getByRole('button', { name: 'New work order' }).click();
        const form = board.getByRole('dialog');
        await choose(board, form.getByLabel('Site'), siteName);
        await form.getByLabel('Description').fill(`Console test ${round}`);
        await choose(board, form.getByLabel('Equipment type of line 1'), `CON-T-${suffix} — ${typeName}`);
        await timed(
          'create',
          () => form.getByRole('button', { name: 'Create work order' }).click(),
          { newCardIn: 'queued', known: [...before] },
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
      await expect(card(board, 'queued', workOrder).getByTestId('queue-position').textContent()).resolves.toBe(`#1 of 1 ${typeName}`);

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
      await assign.getByLabel(me.name).check();
      await timed(
        'assign',
        () => assign.getByRole('button', { name: 'Assign', exact: true }).click(),
        { card: workOrder, in: 'dispatched' },
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
      await timedElsewhere(
        'driver-tap-to-board',
        () => driver.getByRole('button', { name: 'Decline', exact: true }).click(),
        () => card(board, 'queued', workOrder).getByTestId('decline-reason').filter({ hasText: 'Flat tyre on the van' }).waitFor(),
      );
      await expect(card(board, 'queued', workOrder).getByTestId('decline-reason').textContent()).resolves.toBe(
        `${me.name} declined: Flat tyre on the van`,
      );
      await board.getByTestId('notifications-button').click();
      const centre = board.getByTestId('notification-centre');
      await centre
        .locator('[data-kind="declined"]')
        .filter({ hasText: `${me.name} declined ${workOrder}` })
        .filter({ hasText: 'Reason: Flat tyre on the van' })
        .waitFor();
      await screenshot(board, '31-console-notifications');
      await expectAccessible(board, 'notification centre');
      await board.keyboard.press('Escape');
      await centre.waitFor({ state: 'hidden' });

      for (let round = 0; round < ROUNDS; round++) {
        // Reprioritise.
        const want = round % 2 === 0 ? 'Urgent' : 'Low';
        const priority = await act(board, workOrder, 'queued', 'Change priority…');
        await priority.getByText(want, { exact: true }).click();
        await timed(
          'reprioritise',
          () => priority.getByRole('button', { name: 'Change priority' }).click(),
          { card: workOrder, in: 'queued', label: want },
          board,
        );
        await card(board, 'queued', workOrder).getByText(want, { exact: true }).waitFor();
        // Assign (the first eligible pair) and recall back to the queue.
        const dialog = await act(board, workOrder, 'queued', 'Assign machine and driver…');
        await dialog.locator('[data-testid="candidate"][data-eligible="true"]').first().waitFor();
        await timed(
          'assign',
          () => dialog.getByRole('button', { name: 'Assign', exact: true }).click(),
          { card: workOrder, in: 'dispatched' },
          board,
        );
        await card(board, 'dispatched', workOrder).locator('[data-actions-for]').waitFor();
        const recall = await act(board, workOrder, 'dispatched', 'Recall…');
        await recall.getByLabel('Reason').fill('Customer postponed');
        await timed(
          'recall',
          () => recall.getByRole('button', { name: 'Recall' }).click(),
          { card: workOrder, in: 'dispatched', absent: true },
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
        { card: workOrder, in: 'dispatched', absent: true },
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
      const expired = board
        .getByTestId('driver-panel')
        .getByRole('row')
        .filter({ hasText: lapsed.name })
        .getByTestId('qualification-expired');
      await expired.waitFor();
      await expect(expired.textContent()).resolves.toMatch(new RegExp(`^CON-Q-${suffix} expired on `));
      const colour = await expired.evaluate((el) => getComputedStyle(el).color);
      expect(colour).toBe('rgb(201, 42, 42)'); // red 9: red, and 5.4:1 on white
      await expectAccessible(board, 'drivers panel');

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
