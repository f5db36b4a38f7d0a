/**
 * RFC 4180 CSV: quoted fields with commas, doubled quotes and line breaks, CRLF or LF, an optional
 * UTF-8 BOM. Each record carries the line it starts on, for error messages. No dependency: the
 * grammar is small and the stack has no CSV parser.
 */
export type CsvRecord = { line: number; fields: string[] };

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quotedField = false;
  const endField = (): void => {
    fields.push(field);
    field = '';
    quotedField = false;
  };
  const endRecord = (): void => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (inQuotes) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field !== '' || quotedField) throw new CsvSyntaxError(line, 'a quote inside an unquoted field');
      inQuotes = true;
      quotedField = true;
    } else if (c === ',') endField();
    else if (c === '\r' && input[i + 1] === '\n') {
      // CRLF: handled on the \n
    } else if (c === '\n') {
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (quotedField) throw new CsvSyntaxError(line, 'text after a closing quote');
      field += c;
    }
  }
  if (inQuotes) throw new CsvSyntaxError(recordLine, 'a quoted field is not closed');
  if (field !== '' || fields.length > 0 || quotedField) endRecord();
  return records;
}

/**
 * Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with `=`, `+`,
 * `-`, `@`, a tab or a carriage return as a formula. Such a cell is written with a leading `'`
 * (and quoted), which spreadsheets show as text. A plain number (`-2.5`) is left alone. A value
 * that already starts with quotes before such a character gets one more, so `unescapeCsvCell`
 * gives back exactly the value that was written: exports and imports round-trip.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;

export function escapeCsvCell(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** The value a cell written by `escapeCsvCell` (or typed as `'=…` in a spreadsheet) stands for. */
export function unescapeCsvCell(text: string): string {
  return ESCAPED_FORMULA.test(text) && !PLAIN_NUMBER.test(text.slice(1)) ? text.slice(1) : text;
}

/**
 * One CSV cell of every export: formula-escaped, then quoted when it needs it (comma, quote, line
 * break, leading/trailing space, or an escaped formula). Null is empty.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const raw = String(value);
  const text = typeof value === 'string' ? escapeCsvCell(raw) : raw;
  return text !== raw || /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
