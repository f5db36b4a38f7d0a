import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Candidates, WorkOrder } from '@yardmaster/contracts';
import { captureToken, seriousAxeFindings } from './support/axe';
import { baseUrl, DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

/** The API as the signed-in person (their token, read from the page's own calls). */
function apiAs(token: string) {
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

describe('the dispatcher sees the day: search, shortcuts, timeline, map', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  it('search opens with /, finds a work order by words of its description and opens its page; ? lists the shortcuts', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, DEMO.dispatcher, '/dispatch');
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.keyboard.press('/');
    const dialog = page.getByRole('dialog', { name: 'Search' });
    const box = dialog.getByLabel(/Work order number, description/);
    await box.fill('lift steel');
    const results = dialog.getByTestId('search-results');
    await results.getByText('Work order').first().waitFor();
    expect(await seriousAxeFindings(page)).toEqual([]);
    await screenshot(page, '60-search');
    const number = (await results.getByRole('listitem').first().locator('p').first().textContent()) ?? '';
    expect(number).toMatch(/^WO-/);
    await box.press('Enter');
    await page.waitForURL(new RegExp(`/work-orders/${number}$`));

    // Sites, equipment and drivers come up too, and lead to the map and the timeline (this time the
    // search opens from the header's button).
    await page.getByRole('button', { name: 'Search (press /)' }).click();
    await page
      .getByRole('dialog', { name: 'Search' })
      .getByLabel(/Work order number, description/)
      .fill('CRANE-50T');
    await page.getByTestId('search-results').getByText('Equipment').first().waitFor();
    await page.getByTestId('search-results').getByRole('listitem').filter({ hasText: 'Equipment' }).first().click();
    await page.waitForURL(/\/timeline\?equipment=/);
    await page.locator('[data-testid^="row-equipment-"]').first().waitFor();

    await page.locator('body').click();
    await page.keyboard.press('?');
    const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await sheet.getByTestId('shortcut-sheet').waitFor();
    await expect(sheet.getByText('Go to the map').count()).resolves.toBe(1);
    // (The sheet fades in: the check waits for the transition to end.)
    expect(await seriousAxeFindings(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    // g then m: to the map.
    await page.keyboard.press('g');
    await page.keyboard.press('m');
    await page.waitForURL(/\/map$/);
    await context.close();
  });

  it('timeline: a waiting request dragged onto a free machine is assigned; rows that cannot take it are greyed with the reason', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const token = captureToken(page);
    await signIn(page, DEMO.dispatcher, '/timeline');
    const api = apiAs(await token());
    // Automatic dispatch off for the test, so the request waits for the dispatcher's pick.
    await api('PATCH', '/api/v1/settings/dispatch', { autoProcessing: false });
    try {
      const [site] = (await api<{ items: { id: string }[] }>('GET', '/api/v1/sites?limit=1')).items;
      const [type] = (await api<{ items: { id: string; code: string }[] }>('GET', '/api/v1/equipment-types?q=TIPPER-32T')).items;
      const wo = await api<WorkOrder>('POST', '/api/v1/work-orders', {
        siteId: site?.id,
        description: 'Timeline drag test',
        priority: 'urgent',
        lines: [{ equipmentTypeId: type?.id, quantity: 1 }],
      });
      const dispatchId = wo.dispatchIds[0] ?? '';
      const candidates = await api<Candidates>('GET', `/api/v1/dispatches/${dispatchId}/candidates`);
      const machine = candidates.equipment.find((e) => e.eligible);
      const driver = candidates.drivers.find((d) => d.eligible);
      const refused = candidates.drivers.find((d) => !d.eligible);
      expect(machine, 'a free tipper in the demo data').toBeDefined();
      expect(driver, 'a free qualified driver in the demo data').toBeDefined();

      // Away and back (tokens live in memory, so no reload): the timeline reads the board afresh.
      await page.getByRole('link', { name: 'Map' }).click();
      await page.getByRole('link', { name: 'Timeline' }).click();
      const chip = page.getByTestId(`queued-${dispatchId}`);
      await chip.waitFor();
      const target = page.getByTestId(`row-equipment-${machine?.id ?? ''}`);
      // Picked up (press), the rows say who can take it: the server's own reasons on the others.
      await chip.click();
      await page.getByTestId('picked').waitFor();
      await page.locator(`[data-testid="row-equipment-${machine?.id ?? ''}"][data-eligible="true"]`).waitFor();
      if (refused) {
        const row = page.locator(`[data-testid="row-driver-${refused.id}"][data-eligible="false"]`);
        await row.waitFor();
        await row
          .getByText(refused.reasons[0] ?? '', { exact: false })
          .first()
          .waitFor();
      }
      expect(await seriousAxeFindings(page)).toEqual([]);
      await screenshot(page, '61-timeline-picked');
      await chip.dragTo(target);
      const dialog = page.getByRole('dialog', { name: `Assign ${wo.number}` });
      await dialog.waitFor();
      await dialog.getByLabel('Driver').click();
      await page.getByRole('option', { name: driver?.name ?? '', exact: true }).click();
      await dialog.getByRole('button', { name: 'Assign' }).click();
      await dialog.waitFor({ state: 'detached' });
      await target.getByTestId(`bar-${dispatchId}`).waitFor();
      await expect(chip.count()).resolves.toBe(0);
      const after = await api<{ status: string; equipmentId: string; driverId: string }>('GET', `/api/v1/dispatches/${dispatchId}`);
      expect(after).toMatchObject({ status: 'dispatched', equipmentId: machine?.id, driverId: driver?.id });
      await screenshot(page, '62-timeline-assigned');
    } finally {
      await api('PATCH', '/api/v1/settings/dispatch', { autoProcessing: true });
      await context.close();
    }
  });

  it('map: sites with their waiting work, equipment and drivers are drawn without a tile server', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const token = captureToken(page);
    await signIn(page, DEMO.dispatcher, '/map');
    await page.locator('[data-testid="map"][data-ready="true"]').waitFor();
    await page.locator('.maplibregl-canvas').waitFor();
    await page.locator('[data-testid^="marker-site-"]').first().waitFor();
    expect(await page.locator('[data-testid^="marker-site-"]').count()).toBeGreaterThan(5);
    expect(await page.locator('[data-testid^="marker-equipment-"]').count()).toBeGreaterThan(5);
    expect(await page.locator('[data-testid^="marker-driver-"]').count()).toBeGreaterThan(5);
    const list = page.getByTestId('map-list');
    await list
      .getByText(/waiting: WO-/)
      .first()
      .waitFor();
    expect(await seriousAxeFindings(page)).toEqual([]);
    await screenshot(page, '63-map');
    // A site from search: the map opens on it, its marker highlighted.
    const api = apiAs(await token());
    const [site] = (await api<{ items: { id: string; position: unknown }[] }>('GET', '/api/v1/sites?limit=1')).items;
    await page.goto(`/map?site=${site?.id ?? ''}`);
    await page.getByTestId(`marker-site-${site?.id ?? ''}`).waitFor();
    await page.getByTestId(`marker-site-${site?.id ?? ''}`).click();
    await page.locator('.maplibregl-popup').waitFor();
    await context.close();
  });
});
