/** Positions, distances and the phone's maps app. */
export type LatLng = { lat: number; lng: number };

/** Great-circle distance in metres (haversine). */
export function distanceMetres(a: LatLng, b: LatLng): number {
  const R = 6_371_000;
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

export const POSITION_MIN_INTERVAL_MS = 60_000;
export const POSITION_MIN_DISTANCE_M = 100;

/**
 * Whether to report a new position: the first fix on duty, then only when moved more than 100 m
 * since the last report and at most once a minute.
 */
export function shouldReportPosition(last: { at: number; position: LatLng } | null, now: number, position: LatLng): boolean {
  if (!last) return true;
  if (now - last.at < POSITION_MIN_INTERVAL_MS) return false;
  return distanceMetres(last.position, position) > POSITION_MIN_DISTANCE_M;
}

/**
 * "Navigate": a `geo:` URI that Android hands to the maps app (coordinates with a label, or the
 * address as a query), and web fallbacks for phones that do not handle `geo:` (iOS: Apple Maps;
 * anything else: OpenStreetMap directions).
 */
export function navigationLinks(site: { name: string; address: string; position: LatLng | null }): {
  geo: string;
  apple: string;
  web: string;
} {
  const q = encodeURIComponent(site.address || site.name);
  if (site.position) {
    const { lat, lng } = site.position;
    const label = encodeURIComponent(site.name);
    return {
      geo: `geo:${lat},${lng}?q=${lat},${lng}(${label})`,
      apple: `https://maps.apple.com/?daddr=${lat},${lng}&q=${label}`,
      web: `https://www.openstreetmap.org/directions?to=${lat}%2C${lng}`,
    };
  }
  return { geo: `geo:0,0?q=${q}`, apple: `https://maps.apple.com/?daddr=${q}`, web: `https://www.openstreetmap.org/search?query=${q}` };
}

/** The link a tap on "Navigate" opens on this device. */
export function navigationHref(site: { name: string; address: string; position: LatLng | null }, userAgent: string): string {
  const links = navigationLinks(site);
  if (/iPhone|iPad|iPod|Macintosh/.test(userAgent)) return links.apple;
  if (/Android/.test(userAgent)) return links.geo;
  return links.web;
}
