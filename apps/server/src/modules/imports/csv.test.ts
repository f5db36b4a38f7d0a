import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, csvLine, parseCsv } from './csv.js';

describe('CSV (RFC 4180)', () => {
  it('parses quotes, doubled quotes, commas and line breaks inside fields, CRLF and a BOM', () => {
    const text = '\ufeffname,notes\r\n"Smith, J","said ""hi""\r\nthen left"\r\nplain,\r\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['name', 'notes'] },
      { line: 2, fields: ['Smith, J', 'said "hi"\r\nthen left'] },
      { line: 4, fields: ['plain', ''] },
    ]);
  });

  it('skips blank lines and reads a last line without a line break', () => {
    expect(parseCsv('a,b\n\nc,d')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['c', 'd'] },
    ]);
  });

  it('names the line of a malformed record', () => {
    expect(() => parseCsv('a,b\nx,"open\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\nx,y"z\n')).toThrow(/line 2/);
  });

  it('round-trips what it writes', () => {
    const values = ['a,b', 'say "x"', 'two\nlines', ' padded', 'plain'];
    expect(parseCsv(csvLine(values))[0]?.fields).toEqual(values);
  });
});
