import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { CapacityResult, PlanningSettings, RecurringWorkOrder, ShiftException, TimeOff, WorkOrder } from '@yardmaster/contracts';
import { accessTokenFor } from './support/api-token';
import { seriousAxeFindings } from './support/axe';
import { baseUrl, DEMO, launchBrowser, screenshot, signIn } from './support/browser';

/**
 * A dispatcher plans next week, on resources of their own (a qualification, an equipment type, two
 * machines, three drivers and a site made for this run through the API, so nothing another browser
 * test does to the demo data matters): a day off, recurring work with the capacity warning, calendar
 * edits of one occurrence and of "this and following", the capacity warning in the work-order form,
 * and the timeline's shifts, leave and maintenance windows. Each step is checked on screen and
 * through the API, and axe finds nothing serious on each screen.
 */

type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;
function apiAs(token: string): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

async function choose(page: Page, field: Locator, option: string): Promise<void> {
  await field.click();
  await page.getByRole('option', { name: option, exact: true }).first().click();
  if (await page.getByRole('listbox').isVisible()) await page.keyboard.press('Escape');
}

/** Today in a zone, and a day some days after a local day. */
const todayIn = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const isoWeekday = (day: string) => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

const PLANNING = '[data-testid="planning-page"]';

describe('planning next week', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: Api;
  let zone: string;
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const ids = { type: '', site: '', m1: '', m2: '', dee: '', eve: '', fay: '' };
  const names = { dee: `Dee Day-${tag}`, eve: `Eve Early-${tag}`, fay: `Fay Far-${tag}`, site: `Week Yard ${tag}`, type: `WK-${tag}` };

  beforeAll(async () => {
    browser = await launchBrowser();
    api = apiAs(await accessTokenFor(baseUrl(), DEMO.admin));
    zone = (await api<PlanningSettings>('GET', '/api/v1/planning/settings')).timeZone;
    const qualification = await api<{ id: string }>('POST', '/api/v1/qualifications', { code: `WQ-${tag}`, name: `Week lift ${tag}` });
    ids.type = (
      await api<{ id: string }>('POST', '/api/v1/equipment-types', {
        code: names.type,
        name: `Week crane ${tag}`,
        requiredQualificationIds: [qualification.id],
      })
    ).id;
    ids.m1 = (
      await api<{ id: string }>('POST', '/api/v1/equipment', { assetTag: `WK1-${tag}`, name: 'Week crane 1', equipmentTypeId: ids.type })
    ).id;
    ids.m2 = (
      await api<{ id: string }>('POST', '/api/v1/equipment', { assetTag: `WK2-${tag}`, name: 'Week crane 2', equipmentTypeId: ids.type })
    ).id;
    // Off duty: automatic matching never takes them for another test's work; their shifts make them count for planning.
    const held = [{ qualificationId: qualification.id, expiresAt: null }];
    ids.dee = (await api<{ id: string }>('POST', '/api/v1/drivers', { name: names.dee, dutyStatus: 'off_duty', qualifications: held })).id;
    ids.eve = (await api<{ id: string }>('POST', '/api/v1/drivers', { name: names.eve, dutyStatus: 'off_duty', qualifications: held })).id;
    // Fay holds no ticket for the type: she is there for the timeline's shift band (a 23-hour shift every day).
    ids.fay = (await api<{ id: string }>('POST', '/api/v1/drivers', { name: names.fay, dutyStatus: 'off_duty' })).id;
    ids.site = (await api<{ id: string }>('POST', '/api/v1/sites', { name: names.site, address: '1 Week Road' })).id;
    const validFrom = addDays(todayIn(zone), -1);
    for (const driverId of [ids.dee, ids.eve]) {
      await api('POST', '/api/v1/planning/shift-patterns', {
        driverId,
        kind: 'weekly',
        weekdays: [1, 2, 3, 4, 5],
        startTime: '07:00',
        endTime: '15:30',
        validFrom,
      });
    }
    await api('POST', '/api/v1/planning/shift-patterns', {
      driverId: ids.fay,
      kind: 'weekly',
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      startTime: '06:00',
      endTime: '05:00',
      validFrom,
    });

    // The browser's clock reads in the planning zone, so a time typed in the work-order form is the zone's wall-clock time.
    context = await browser.newContext({ baseURL: baseUrl(), viewport: { width: 1440, height: 900 }, timezoneId: zone });
    // Generous: on a shared, loaded machine the console renders slowly.
    context.setDefaultTimeout(60_000);
    page = await context.newPage();
    await signIn(page, DEMO.dispatcher, '/planning/shifts');
  });
  afterAll(async () => {
    await context.close();
    await browser.close();
  });

  // Next week's Monday in the planning zone (a week ahead when today is a Monday).
  const nextMonday = () => addDays(todayIn(zone), 8 - isoWeekday(todayIn(zone)));

  it('adds a day off for next Monday on the shifts screen', async () => {
    const form = page.getByRole('form', { name: 'Add a shift exception' });
    await form.waitFor();
    await choose(page, form.getByLabel('Driver'), names.dee);
    await form.getByLabel('Date').fill(nextMonday());
    await form.getByRole('radio', { name: 'Day off' }).check();
    await form.getByLabel('Note').fill('dentist');
    await form.getByRole('button', { name: 'Save exception' }).click();

    const row = page.getByRole('table', { name: 'Shift exceptions' }).getByRole('row').filter({ hasText: names.dee });
    await row.filter({ hasText: nextMonday() }).getByText('Day off').waitFor();
    const saved = await api<{ items: ShiftException[] }>('GET', `/api/v1/planning/shift-exceptions?driverId=${ids.dee}`);
    expect(saved.items).toEqual([expect.objectContaining({ onDate: nextMonday(), kind: 'off', note: 'dentist' })]);
    expect(await seriousAxeFindings(page, PLANNING)).toEqual([]);
    await screenshot(page, '73-planning-shift-exception');
  });

  it('creates recurring work, warned before saving that Monday has one qualified driver for two jobs', async () => {
    await page.getByRole('tab', { name: 'Recurring work' }).click();
    const form = page.getByRole('form', { name: 'New recurring work' });
    await form.waitFor();
    await form.getByLabel('Description').fill(`Weekly lift ${tag}`);
    await choose(page, form.getByLabel('Site'), names.site);
    await choose(page, form.getByLabel('Equipment type'), names.type);
    await form.getByLabel('Quantity').fill('2');
    await form.getByLabel('Rule (RFC 5545 RRULE)').fill('FREQ=WEEKLY;BYDAY=MO');
    await form.getByLabel('First occurrence').fill(`${nextMonday()}T09:00`);

    // Before saving: Dee has the day off, so one qualified driver is on shift for two jobs.
    const warning = form.locator('[data-testid="capacity-result"][data-capacity="short"]');
    await warning.waitFor();
    await expect(warning.textContent()).resolves.toContain(`${names.type}: 2 needed, 1 qualified driver on shift and free then`);
    const at = new Date(`${nextMonday()}T09:00`).toISOString(); // the browser's zone is the planning zone
    const check = await api<CapacityResult>('POST', '/api/v1/planning/capacity-check', {
      at,
      lines: [{ equipmentTypeId: ids.type, quantity: 2 }],
    });
    expect(check).toMatchObject({ ok: false, lines: [{ needed: 2, machines: 2, drivers: 1 }] });
    expect(await seriousAxeFindings(page, PLANNING)).toEqual([]);
    await screenshot(page, '74-planning-recurring-capacity-warning');

    // A warning, not a refusal: it saves.
    await form.getByRole('button', { name: 'Save recurring work' }).click();
    const series = page.getByTestId(/^series-/).filter({ hasText: `Weekly lift ${tag}` });
    await series.waitFor();
    const listed = await api<{ items: RecurringWorkOrder[] }>('GET', '/api/v1/planning/recurring');
    const saved = listed.items.find((s) => s.description === `Weekly lift ${tag}`);
    expect(saved).toMatchObject({ rule: 'FREQ=WEEKLY;BYDAY=MO', localStart: `${nextMonday()}T09:00`, ended: false });
    expect(saved?.occurrences.length).toBeGreaterThanOrEqual(3);
    expect(saved?.occurrences.every((o) => o.status === 'created' && o.workOrderId)).toBe(true);
    expect(saved?.occurrences[0]?.localStart).toBe(`${nextMonday()}T09:00`);
  });

  async function seriesByDescription(): Promise<RecurringWorkOrder[]> {
    const listed = await api<{ items: RecurringWorkOrder[] }>('GET', '/api/v1/planning/recurring');
    return listed.items.filter((s) => s.description === `Weekly lift ${tag}`);
  }

  async function editOccurrence(card: Locator, occurrenceId: string, fill: (dialog: Locator) => Promise<void>): Promise<void> {
    await card
      .getByTestId(`occurrence-${occurrenceId}`)
      .getByRole('button', { name: /^Edit the occurrence of / })
      .click();
    const dialog = page.getByRole('dialog', { name: /^Occurrence of / });
    await dialog.waitFor();
    await fill(dialog);
    expect(await seriousAxeFindings(page, '[role="dialog"]')).toEqual([]);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  it('moves one occurrence, skips another, and changes this and following', async () => {
    const [original] = await seriesByDescription();
    const [first, second, third] = original?.occurrences ?? [];
    expect(third, 'three occurrences inside the horizon').toBeDefined();
    const card = page.getByTestId(`series-${original?.id ?? ''}`);
    await card.getByRole('button', { name: `Show occurrences of Weekly lift ${tag}` }).click();
    await card.getByRole('table', { name: `Occurrences of Weekly lift ${tag}` }).waitFor();

    // This one: next Monday's lift moves to 11:00.
    await editOccurrence(card, first?.id ?? '', async (dialog) => {
      await dialog.getByRole('radio', { name: 'This occurrence' }).check();
      await dialog.getByRole('radio', { name: 'Change' }).check();
      await dialog.getByLabel('New start').fill(`${nextMonday()}T11:00`);
    });
    await card
      .locator(`[data-testid="occurrence-${first?.id ?? ''}"][data-status="detached"]`)
      .getByText('moved')
      .waitFor();

    // This one: the second is skipped, with its reason kept.
    await editOccurrence(card, second?.id ?? '', async (dialog) => {
      await dialog.getByRole('radio', { name: 'Skip' }).check();
      await dialog.getByLabel('Why it is skipped').fill('site closed for inspection');
    });
    const skipped = card.locator(`[data-testid="occurrence-${second?.id ?? ''}"][data-status="skipped"]`);
    await skipped.getByText('site closed for inspection').waitFor();

    // This and following: from the third on, the lift is at 10:00 (a new series continues the old one).
    const thirdDay = (third?.localStart ?? '').slice(0, 10);
    await editOccurrence(card, third?.id ?? '', async (dialog) => {
      await dialog.getByRole('radio', { name: 'This and following occurrences' }).check();
      await dialog.getByRole('radio', { name: 'Change' }).check();
      await dialog.getByLabel('From this occurrence on, starting').fill(`${thirdDay}T10:00`);
    });
    await card
      .locator(`[data-testid="occurrence-${third?.id ?? ''}"][data-status="skipped"]`)
      .getByText('replaced by a changed series')
      .waitFor();
    const successor = page.getByTestId(/^series-/).filter({ hasText: 'continues an earlier series' });
    await successor.filter({ hasText: `Weekly lift ${tag}` }).waitFor();

    const after = await seriesByDescription();
    const old = after.find((s) => s.id === original?.id);
    const next = after.find((s) => s.parentId === original?.id);
    expect(old?.occurrences.find((o) => o.id === first?.id)).toMatchObject({ status: 'detached', localStart: first?.localStart });
    expect(old?.occurrences.find((o) => o.id === first?.id)?.startsAt).toBe(new Date(`${nextMonday()}T11:00`).toISOString());
    expect(old?.occurrences.find((o) => o.id === second?.id)).toMatchObject({
      status: 'skipped',
      skippedReason: 'site closed for inspection',
    });
    expect(old?.occurrences.filter((o) => o.localStart >= (third?.localStart ?? '')).map((o) => o.status)).toEqual(
      old?.occurrences.filter((o) => o.localStart >= (third?.localStart ?? '')).map(() => 'skipped'),
    );
    expect(next).toMatchObject({ localStart: `${thirdDay}T10:00`, rule: 'FREQ=WEEKLY;BYDAY=MO' });
    expect(next?.occurrences[0]).toMatchObject({ localStart: `${thirdDay}T10:00`, status: 'created' });
    expect(await seriousAxeFindings(page, PLANNING)).toEqual([]);
    await screenshot(page, '75-planning-recurring-occurrences');
  });

  it('warns in the work-order form that next Monday 11:00 is fully booked, and still creates the work order', async () => {
    await page.getByRole('link', { name: 'Dispatcher console' }).click();
    await page.getByRole('heading', { name: 'Dispatcher console' }).waitFor();
    // The console's own shortcut (N) opens the form.
    await page.getByRole('button', { name: 'New work order' }).waitFor();
    await page.keyboard.press('n');
    const dialog = page.getByRole('dialog', { name: 'New work order' });
    await dialog.waitFor();
    await choose(page, dialog.getByLabel('Site'), names.site);
    await dialog.getByLabel('Description').fill(`Extra lift ${tag}`);
    await choose(page, dialog.getByLabel('Equipment type of line 1'), `${names.type} — Week crane ${tag}`);
    await dialog.getByText('Later', { exact: true }).click();
    await dialog.getByLabel('Requested start').fill(`${nextMonday()}T11:00`);

    // The moved occurrence holds both machines at 11:00; Dee is off, and Eve is booked by it too.
    const warning = dialog.locator('[data-testid="capacity-result"][data-capacity="short"]');
    await warning.waitFor();
    const text = (await warning.textContent()) ?? '';
    expect(text).toContain(`${names.type}: 1 needed, 0 machines free then`);
    expect(text).toContain(`${names.type}: 1 needed, 0 qualified drivers on shift and free then`);
    const at = new Date(`${nextMonday()}T11:00`).toISOString();
    const check = await api<CapacityResult>('POST', '/api/v1/planning/capacity-check', {
      at,
      lines: [{ equipmentTypeId: ids.type, quantity: 1 }],
    });
    expect(check).toMatchObject({ ok: false, lines: [{ needed: 1, machines: 0, drivers: 0 }] });
    expect(await seriousAxeFindings(page, '[role="dialog"]')).toEqual([]);
    await screenshot(page, '76-work-order-capacity-warning');

    await dialog.getByRole('button', { name: 'Create work order' }).click();
    await dialog.waitFor({ state: 'detached' });
    const orders = await api<{ items: WorkOrder[] }>(
      'GET',
      `/api/v1/work-orders?siteId=${ids.site}&q=${encodeURIComponent(`Extra lift ${tag}`)}`,
    );
    expect(orders.items).toEqual([expect.objectContaining({ description: `Extra lift ${tag}`, requestedStart: at })]);
  });

  it('the timeline shows shifts, approved leave and a planned maintenance window', async () => {
    const now = Date.now();
    const window = await api<{ id: string }>('POST', '/api/v1/planning/maintenance-windows', {
      equipmentId: ids.m1,
      startsAt: new Date(now + 30 * 60_000).toISOString(),
      endsAt: new Date(now + 3 * 3_600_000).toISOString(),
      reason: 'LOLER inspection',
    });
    const today = todayIn(zone);
    const leave = await api<TimeOff>('POST', '/api/v1/planning/time-off', {
      driverId: ids.eve,
      firstDay: today,
      lastDay: today,
      reason: 'moving house',
    });
    await api('POST', `/api/v1/planning/time-off/${leave.id}/approve`, {});

    // A page of its own, signed in afresh, so this step does not depend on the console's state.
    const timelineContext = await browser.newContext({ baseURL: baseUrl(), viewport: { width: 1440, height: 900 }, timezoneId: zone });
    timelineContext.setDefaultTimeout(60_000);
    const page = await timelineContext.newPage();
    await signIn(page, DEMO.dispatcher, '/timeline');
    const machine = page.getByTestId(`row-equipment-${ids.m1}`);
    await machine.getByTestId(`plan-maintenance-${window.id}`).waitFor();
    await expect(machine.getByTestId('plan-note').textContent()).resolves.toContain('(LOLER inspection)');
    const eve = page.getByTestId(`row-driver-${ids.eve}`);
    await eve.getByTestId(`plan-leave-${leave.id}`).waitFor();
    await expect(eve.getByTestId('plan-note').textContent()).resolves.toContain('on leave, back on');
    const fay = page.getByTestId(`row-driver-${ids.fay}`);
    await fay.locator(`[data-testid^="plan-shift-${ids.fay}-"]`).first().waitFor();
    await expect(fay.getByTestId('plan-note').textContent()).resolves.toMatch(/on shift until|next shift/);
    expect(await seriousAxeFindings(page, '#main')).toEqual([]);
    await screenshot(page, '77-timeline-planning');
    await timelineContext.close();
  });
});
