import { describe, expect, it } from 'vitest';
import { dateEntryOf, formatTypedDate, parseTypedDate } from './date-entry';

describe('date entry', () => {
  it('reads ISO in every locale and the locale pattern with any separator', () => {
    for (const locale of ['en-GB', 'en-US', 'de-DE', 'nl-NL'])
      expect(parseTypedDate('2026-12-07', dateEntryOf(locale).pattern)).toBe('2026-12-07');
    expect(parseTypedDate('07.12.2026', dateEntryOf('de-DE').pattern)).toBe('2026-12-07');
    expect(parseTypedDate('7/12/2026', dateEntryOf('en-GB').pattern)).toBe('2026-12-07');
    expect(parseTypedDate('12/7/2026', dateEntryOf('en-US').pattern)).toBe('2026-12-07');
    expect(parseTypedDate('07-12-2026', dateEntryOf('nl-NL').pattern)).toBe('2026-12-07');
  });

  it('refuses what is not a whole, real date', () => {
    const { pattern } = dateEntryOf('de-DE');
    for (const typed of ['', '07.12.', '07.12.26', '31.02.2026', '07.13.2026', '2026-02-30', 'morgen'])
      expect(parseTypedDate(typed, pattern)).toBeNull();
  });

  it('writes a day in the locale pattern, and falls back to en-GB for an unknown locale', () => {
    expect(formatTypedDate('2026-12-07', dateEntryOf('de-DE').pattern)).toBe('07.12.2026');
    expect(formatTypedDate('2026-12-07', dateEntryOf('en-US').pattern)).toBe('12/07/2026');
    expect(dateEntryOf('xx-YY')).toEqual(dateEntryOf('en-GB'));
  });
});
