import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, csvField, csvLine, escapeCsvCell, parseCsv, unescapeCsvCell } from './csv.js';

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

describe('CSV formula injection (OWASP)', () => {
  const dangerous = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    '-2+3',
    '@SUM(A1:A2)',
    '\tleading tab',
    '\rleading CR',
    "'=already quoted",
    "''@twice",
  ];

  it('writes every cell that a spreadsheet would run as a formula with a leading quote, quoted', () => {
    for (const value of dangerous) {
      const cell = csvField(value);
      expect(cell.startsWith(`"'`), value).toBe(true);
      expect(parseCsv(cell)[0]?.fields[0]?.startsWith("'")).toBe(true);
    }
  });

  it('leaves plain numbers, negative ones included, and ordinary text as they are', () => {
    expect(csvField(-2.2426)).toBe('-2.2426');
    expect(csvField('-2.2426')).toBe('-2.2426');
    expect(csvField('+44')).toBe('+44');
    expect(csvField("O'Brien")).toBe("O'Brien");
    expect(csvField('a-b=c')).toBe('a-b=c');
  });

  it('gives back exactly the value written when read with unescapeCsvCell', () => {
    for (const value of [...dangerous, '-5', "'-5", "'plain", 'plain', '', "'"]) {
      const read = parseCsv(csvLine([value]))[0]?.fields[0] ?? '';
      expect(unescapeCsvCell(read), value).toBe(value);
      expect(escapeCsvCell(value) === value || unescapeCsvCell(escapeCsvCell(value)) === value).toBe(true);
    }
  });
});
