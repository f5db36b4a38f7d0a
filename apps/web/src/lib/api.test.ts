import { describe, expect, it } from 'vitest';
import { ifMatch, urlOf, versionOfEtag } from './api';
import { formatDuration, formatDateTime } from './time';

describe('api helpers', () => {
  it('reads versions from ETags and writes If-Match', () => {
    expect(versionOfEtag('"7"')).toBe(7);
    expect(versionOfEtag('W/"12"')).toBe(12);
    expect(versionOfEtag(null)).toBeNull();
    expect(versionOfEtag('"abc"')).toBeNull();
    expect(ifMatch(7)).toBe('"7"');
  });
  it('builds query strings, leaving out empty values', () => {
    expect(urlOf('/api/v1/x', { limit: 10, cursor: undefined, q: '', active: true })).toBe('/api/v1/x?limit=10&active=true');
    expect(urlOf('/api/v1/x')).toBe('/api/v1/x');
  });
});

describe('time', () => {
  it("shows times in the tenant's zone", () => {
    expect(formatDateTime('2026-01-15T12:00:00Z', 'America/New_York')).toBe('15 Jan 2026, 07:00');
    expect(formatDateTime('2026-01-15T12:00:00Z', 'Europe/Berlin')).toBe('15 Jan 2026, 13:00');
    expect(formatDateTime(null, 'UTC')).toBe('—');
  });
  it('formats waiting times', () => {
    expect(formatDuration(30_000)).toBe('<1 min');
    expect(formatDuration(5 * 60_000)).toBe('5 min');
    expect(formatDuration(125 * 60_000)).toBe('2 h 05 min');
    expect(formatDuration(26 * 3600_000)).toBe('1 d 2 h');
  });
});
