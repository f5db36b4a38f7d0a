import { describe, expect, it } from 'vitest';
import { distanceMetres, navigationHref, navigationLinks, shouldReportPosition } from './geo';

describe('position reporting', () => {
  const base = { lat: 53.4808, lng: -2.2426 };
  const moved = (metresNorth: number) => ({ lat: base.lat + metresNorth / 111_195, lng: base.lng });

  it('measures distances in metres', () => {
    expect(distanceMetres(base, moved(100))).toBeCloseTo(100, 0);
    expect(distanceMetres({ lat: 51.5074, lng: -0.1278 }, { lat: 53.4808, lng: -2.2426 })).toBeGreaterThan(260_000);
  });

  it('reports the first fix, then at most once a minute and only after moving more than 100 m', () => {
    expect(shouldReportPosition(null, 0, base)).toBe(true);
    const last = { at: 0, position: base };
    expect(shouldReportPosition(last, 59_000, moved(5_000))).toBe(false); // too soon, however far
    expect(shouldReportPosition(last, 61_000, moved(90))).toBe(false); // not far enough
    expect(shouldReportPosition(last, 61_000, moved(150))).toBe(true);
  });
});

describe('navigate', () => {
  const site = { name: 'Flow Quarry', address: '9 Gravel Road, Bury', position: { lat: 53.59, lng: -2.3 } };
  it('gives a geo: URI with the coordinates and the site as label, and web fallbacks', () => {
    expect(navigationLinks(site)).toEqual({
      geo: 'geo:53.59,-2.3?q=53.59,-2.3(Flow%20Quarry)',
      apple: 'https://maps.apple.com/?daddr=53.59,-2.3&q=Flow%20Quarry',
      web: 'https://www.openstreetmap.org/directions?to=53.59%2C-2.3',
    });
  });
  it('falls back to the address when the site has no position', () => {
    expect(navigationLinks({ ...site, position: null }).geo).toBe('geo:0,0?q=9%20Gravel%20Road%2C%20Bury');
  });
  it('opens the geo: URI on Android, Apple Maps on iOS, OpenStreetMap elsewhere', () => {
    expect(navigationHref(site, 'Mozilla/5.0 (Linux; Android 14; Pixel 8)')).toMatch(/^geo:/);
    expect(navigationHref(site, 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)')).toMatch(/^https:\/\/maps\.apple\.com/);
    expect(navigationHref(site, 'Mozilla/5.0 (X11; Linux x86_64)')).toMatch(/openstreetmap/);
  });
});

describe('proof photos', async () => {
  const { fitWithin } = await import('./photos');
  it('are scaled to at most 1600 px on the longest side, never enlarged', () => {
    expect(fitWithin(4032, 3024)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(3024, 4032)).toEqual({ width: 1200, height: 1600 });
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 });
  });
});
