import { describe, expect, it } from 'vitest';
import { homePathFor, navFor } from './nav';

describe('navigation by role', () => {
  it('shows each role its sections', () => {
    expect(navFor(['dispatcher']).map((i) => i.path)).toEqual(['/dispatch', '/reports', '/planning']);
    expect(navFor(['driver']).map((i) => i.path)).toEqual(['/driver', '/reports', '/planning']);
    expect(navFor(['viewer']).map((i) => i.path)).toEqual(['/reports', '/planning', '/audit']);
    expect(navFor(['admin']).map((i) => i.path)).toEqual(['/dispatch', '/admin', '/reports', '/planning', '/audit']);
  });
  it('lands each role on its first section', () => {
    expect(homePathFor(['driver'])).toBe('/driver');
    expect(homePathFor(['viewer'])).toBe('/reports');
    expect(homePathFor([])).toBe('/no-access');
  });
});
