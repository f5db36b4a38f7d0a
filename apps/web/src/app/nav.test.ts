import { describe, expect, it } from 'vitest';
import { homePathFor, navFor } from './nav';

describe('navigation by role', () => {
  it('shows each role its sections', () => {
    expect(navFor(['dispatcher']).map((i) => i.path)).toEqual(['/dispatch', '/planning', '/reports']);
    expect(navFor(['driver']).map((i) => i.path)).toEqual(['/driver', '/planning', '/reports']);
    expect(navFor(['viewer']).map((i) => i.path)).toEqual(['/planning', '/reports', '/audit']);
    expect(navFor(['admin']).map((i) => i.path)).toEqual(['/dispatch', '/admin', '/planning', '/reports', '/audit']);
  });
  it('lands each role on its first section', () => {
    expect(homePathFor(['driver'])).toBe('/driver');
    expect(homePathFor(['viewer'])).toBe('/planning');
    expect(homePathFor([])).toBe('/no-access');
  });
});
