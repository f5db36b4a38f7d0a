import { describe, expect, it } from 'vitest';
import { instantOfWallTime, nextDay, wallTimeOf } from './time';

describe('wall-clock time in a zone', () => {
  it('places a local time in the zone, in winter and summer', () => {
    expect(new Date(instantOfWallTime('2026-12-07T09:00', 'Europe/London')).toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(new Date(instantOfWallTime('2026-07-06T09:00', 'Europe/London')).toISOString()).toBe('2026-07-06T08:00:00.000Z');
    expect(new Date(instantOfWallTime('2026-12-07T09:00', 'America/New_York')).toISOString()).toBe('2026-12-07T14:00:00.000Z');
    expect(new Date(instantOfWallTime('2026-12-07', 'America/New_York')).toISOString()).toBe('2026-12-07T05:00:00.000Z');
  });

  it('reads a skipped time with the offset before the change and a repeated one as standard time, as the server does', () => {
    // London, 29 Mar 2026: 01:00 GMT → 02:00 BST; 01:30 does not exist and means 02:30 BST.
    expect(new Date(instantOfWallTime('2026-03-29T01:30', 'Europe/London')).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // London, 25 Oct 2026: 01:30 happens twice; standard time (GMT) is the second.
    expect(new Date(instantOfWallTime('2026-10-25T01:30', 'Europe/London')).toISOString()).toBe('2026-10-25T01:30:00.000Z');
    // New York, 8 Mar 2026: 02:30 does not exist → 03:30 EDT; 1 Nov 2026: 01:30 repeated → EST.
    expect(new Date(instantOfWallTime('2026-03-08T02:30', 'America/New_York')).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(new Date(instantOfWallTime('2026-11-01T01:30', 'America/New_York')).toISOString()).toBe('2026-11-01T06:30:00.000Z');
  });

  it('turns an instant back into its wall-clock time', () => {
    expect(wallTimeOf(Date.parse('2026-07-06T08:00:00Z'), 'Europe/London')).toBe('2026-07-06T09:00');
    expect(wallTimeOf(Date.parse('2026-12-07T14:00:00Z'), 'America/New_York')).toBe('2026-12-07T09:00');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2026-03-01', -1)).toBe('2026-02-28');
  });
});
