import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import ExcelJS from 'exceljs';
import { DEMO, launchBrowser, newContext, screenshot, signIn } from './support/browser';

/** Clicks an export button and opens the downloaded Excel workbook. */
async function workbookFrom(page: Page, button: string, filename: RegExp): Promise<ExcelJS.Workbook> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button, exact: true }).click()]);
  expect(file.suggestedFilename()).toMatch(filename);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(await file.path());
  return book;
}

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
    await page.getByTestId('reports-table').waitFor();
    // The list as a workbook, as finance teams expect: one row per report under a bold header.
    const list = await workbookFrom(page, 'Export Excel', /^status-reports\.xlsx$/);
    const reports = list.getWorksheet('Status reports');
    expect(reports?.getRow(1).font?.bold).toBe(true);
    expect(reports?.rowCount ?? 0).toBeGreaterThan(1);
    await page.getByRole('tab', { name: 'Analytics' }).click();
    await page.getByText('Fulfilment rate').waitFor();
    const analytics = await workbookFrom(page, 'Export Excel', /^analytics-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.xlsx$/);
    expect(analytics.worksheets.length).toBeGreaterThan(1);
    expect(analytics.getWorksheet('Durations (s)')?.getRow(1).values).toEqual([undefined, 'phase', 'count', 'mean', 'p50', 'p90']);
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
