import type { Locale } from '@yardmaster/contracts';

/**
 * How a date is typed and shown in a date field, per tenant locale: the dayjs locale that names the
 * months and weekdays in the calendar, the numeric pattern the field shows (the locale's own short
 * date), and the first day of the week.
 */
export type DateEntry = { dayjs: string; pattern: string; firstDayOfWeek: 0 | 1 };

const ENTRY: Record<Locale, DateEntry> = {
  'en-GB': { dayjs: 'en-gb', pattern: 'DD/MM/YYYY', firstDayOfWeek: 1 },
  'en-US': { dayjs: 'en', pattern: 'MM/DD/YYYY', firstDayOfWeek: 0 },
  'de-DE': { dayjs: 'de', pattern: 'DD.MM.YYYY', firstDayOfWeek: 1 },
  'fr-FR': { dayjs: 'fr', pattern: 'DD/MM/YYYY', firstDayOfWeek: 1 },
  'es-ES': { dayjs: 'es', pattern: 'DD/MM/YYYY', firstDayOfWeek: 1 },
  'nl-NL': { dayjs: 'nl', pattern: 'DD-MM-YYYY', firstDayOfWeek: 1 },
  'it-IT': { dayjs: 'it', pattern: 'DD/MM/YYYY', firstDayOfWeek: 1 },
  'pl-PL': { dayjs: 'pl', pattern: 'DD.MM.YYYY', firstDayOfWeek: 1 },
};

export function dateEntryOf(locale: string): DateEntry {
  return ENTRY[locale as Locale] ?? ENTRY['en-GB'];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A real calendar day as 'YYYY-MM-DD', or null (31 February, month 13…). */
function isoDay(y: number, m: number, d: number): string | null {
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? `${pad(y, 4)}-${pad(m)}-${pad(d)}` : null;
}

/**
 * What a person typed into a date field, as 'YYYY-MM-DD' (null: not a whole date yet). Accepts ISO
 * ('2026-12-07', what the API and the browser tests use) and the locale's pattern with any of
 * . / - or a space between the parts, one or two digits for day and month, four for the year.
 */
export function parseTypedDate(typed: string, pattern: string): string | null {
  const text = typed.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (iso) return isoDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const parts = /^(\d{1,4})[./\- ](\d{1,4})[./\- ](\d{1,4})$/.exec(text);
  if (!parts) return null;
  const order = pattern.split(/[^DMY]+/).map((token) => token.charAt(0));
  const field = (letter: string) => parts[order.indexOf(letter) + 1] ?? '';
  const year = field('Y');
  if (year.length !== 4 || field('M').length > 2 || field('D').length > 2) return null;
  return isoDay(Number(year), Number(field('M')), Number(field('D')));
}

/** 'YYYY-MM-DD' written in the locale's pattern ('07.12.2026'); anything else unchanged. */
export function formatTypedDate(day: string, pattern: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day);
  if (!m) return day;
  return pattern
    .replace('YYYY', m[1] ?? '')
    .replace('MM', m[2] ?? '')
    .replace('DD', m[3] ?? '');
}
