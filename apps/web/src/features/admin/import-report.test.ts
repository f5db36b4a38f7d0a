import { describe, expect, it } from 'vitest';
import { importSummary, readImportReport } from './ImportSection';

describe('CSV import report', () => {
  it('splits each problem into line, field and reason, and says the totals in words', () => {
    const report = readImportReport({
      kind: 'sites',
      dryRun: true,
      rows: 3,
      valid: 1,
      created: 0,
      errors: [
        { field: 'line 3: lat', message: 'Too big' },
        { field: 'line 3: lng', message: 'Too small' },
        { field: 'line 4', message: '2 fields, the header has 4' },
      ],
    });
    expect(report.problems).toEqual([
      { line: 3, field: 'lat', reason: 'Too big' },
      { line: 3, field: 'lng', reason: 'Too small' },
      { line: 4, field: null, reason: '2 fields, the header has 4' },
    ]);
    expect(importSummary(report)).toBe('3 rows read: 1 valid, 2 refused. Nothing was written (dry run).');
    expect(importSummary({ ...report, dryRun: false })).toBe(
      '3 rows read: 1 valid, 2 refused. Nothing was imported: fix the refused lines and try again.',
    );
    expect(importSummary(readImportReport({ dryRun: false, rows: 1, valid: 1, created: 1, errors: [] }))).toBe(
      '1 row read: 1 valid. 1 created.',
    );
  });
});
