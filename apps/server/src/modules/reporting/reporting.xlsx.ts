import ExcelJS from 'exceljs';
import type { Analytics, ReportSummary } from '@yardmaster/contracts';
import { csvLine } from '../../platform/csv.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

type Cell = string | number | null;

/**
 * A sheet of typed cells. Text is written as a string cell (never a formula, whatever it starts
 * with: `=`, `+`, `-`, `@` are shown, not evaluated), numbers as numbers; the header row is bold and
 * frozen, columns sized to their content.
 */
function addSheet(book: ExcelJS.Workbook, name: string, header: string[], rows: Cell[][]): void {
  const sheet = book.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(header).font = { bold: true };
  for (const row of rows) {
    const added = sheet.addRow(row.map((v) => (v === null ? null : v)));
    added.eachCell((cell) => {
      // ExcelJS writes a string value as a shared string: never as a formula. Keep it explicit.
      if (typeof cell.value === 'string') cell.numFmt = '@';
    });
  }
  header.forEach((h, i) => {
    const width = Math.min(60, Math.max(h.length, ...rows.slice(0, 500).map((r) => String(r[i] ?? '').length)) + 2);
    sheet.getColumn(i + 1).width = width;
  });
}

async function toBuffer(book: ExcelJS.Workbook): Promise<Buffer> {
  book.creator = 'Yardmaster';
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The analytics as a workbook: one sheet per section, numbers as numbers. */
export async function analyticsXlsx(a: Analytics): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const durations = (['queueWait', 'timeToDispatch', 'timeToSite', 'onSite'] as const).map((k): Cell[] => [
    k,
    a[k].count,
    a[k].mean,
    a[k].p50,
    a[k].p90,
  ]);
  addSheet(
    book,
    'Summary',
    ['metric', 'value'],
    [
      ['from', a.range.from],
      ['to', a.range.to],
      ['time zone', a.range.timeZone],
      ['source', a.source],
      ['created', a.counts.created],
      ['completed', a.counts.completed],
      ['recalled', a.counts.recalled],
      ['cancelled', a.counts.cancelled],
      ['fulfilment rate', a.fulfilmentRate],
      ['equipment utilisation', a.utilisation.equipment.overall],
      ['driver utilisation', a.utilisation.drivers.overall],
    ],
  );
  addSheet(book, 'Durations (s)', ['phase', 'count', 'mean', 'p50', 'p90'], durations);
  for (const [title, list] of [
    ['Equipment', a.utilisation.equipment.items],
    ['Drivers', a.utilisation.drivers.items],
  ] as const) {
    addSheet(
      book,
      `${title} utilisation`,
      ['id', 'name', 'busy seconds', 'available seconds', 'utilisation'],
      list.map((i) => [i.id, i.name, i.busySeconds, i.availableSeconds, i.utilisation]),
    );
  }
  addSheet(
    book,
    'Busiest sites',
    ['site id', 'name', 'dispatches'],
    a.busiestSites.map((s) => [s.siteId, s.name, s.dispatches]),
  );
  addSheet(
    book,
    `Queue depth (${a.queueDepthResolution ?? 'hour'})`,
    ['start', 'depth', 'mean'],
    a.queueDepth.map((q) => [q.hour, q.depth, q.mean]),
  );
  addSheet(
    book,
    'Peak hours',
    ['hour of day', 'requests'],
    a.peakHours.map((p) => [p.hourOfDay, p.requests]),
  );
  return toBuffer(book);
}

/** The columns of a report list export, in order (CSV and xlsx alike). */
export const REPORT_COLUMNS: ReadonlyArray<readonly [string, (r: ReportSummary) => Cell]> = [
  ['number', (r) => r.number],
  ['final status', (r) => r.finalStatus],
  ['priority', (r) => r.priority],
  ['work order', (r) => r.workOrder.number],
  ['site', (r) => r.site.name],
  ['equipment', (r) => r.equipment.assetTag],
  ['equipment name', (r) => r.equipment.name],
  ['equipment type', (r) => r.equipment.typeCode],
  ['driver', (r) => r.driver.name],
  ['dispatcher', (r) => r.dispatcher.name],
  ['created at', (r) => r.timestamps.createdAt],
  ['dispatched at', (r) => r.timestamps.dispatchedAt],
  ['on site at', (r) => r.timestamps.onSiteAt],
  ['finished at', (r) => r.finishedAt],
  ['notes', (r) => r.notes],
  ['recall reason', (r) => r.recallReason],
  ['corrections', (r) => r.correctionCount],
];

export const reportRow = (r: ReportSummary): Cell[] => REPORT_COLUMNS.map(([, get]) => get(r));

export async function reportsXlsx(reports: ReportSummary[]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  addSheet(
    book,
    'Status reports',
    REPORT_COLUMNS.map(([h]) => h),
    reports.map(reportRow),
  );
  return toBuffer(book);
}

/** The report list as CSV through the one CSV writer of every export (formula cells escaped). */
export function reportsCsv(reports: ReportSummary[]): string {
  return [csvLine(REPORT_COLUMNS.map(([h]) => h)), ...reports.map((r) => csvLine(reportRow(r)))].join('');
}
