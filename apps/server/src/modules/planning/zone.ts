/** Wall-clock times in a named zone, without a date library (Intl knows the zone rules). */

export function isRealTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    // RangeError: Intl does not know the zone — the answer, not a failure.
    return false;
  }
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of a local wall-clock time ('YYYY-MM-DDTHH:MM', or a Date whose UTC fields hold the
 * wall-clock time, as `rrule` returns floating times) in `zone`. A time skipped by a daylight-saving
 * change is read with the offset before the change (01:30 on the London spring-forward night is
 * 02:30 BST) and a repeated one as standard time, as PostgreSQL does.
 */
export function wallTimeToInstant(local: string | Date, zone: string): Date {
  const wall = typeof local === 'string' ? Date.parse(`${local}:00Z`) : local.getTime();
  const first = wall - offsetAt(wall, zone);
  const second = wall - offsetAt(first, zone);
  // Skipped or repeated by a daylight-saving change: the later reading (standard time when repeated).
  return new Date(Math.max(first, second));
}

/** The wall-clock time of an instant in `zone`, as 'YYYY-MM-DDTHH:MM'. */
export function instantToWallTime(at: Date, zone: string): string {
  return new Date(at.getTime() + offsetAt(at.getTime(), zone)).toISOString().slice(0, 16);
}

/** The local day ('YYYY-MM-DD') of an instant in `zone`. */
export function localDay(at: Date, zone: string): string {
  return instantToWallTime(at, zone).slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
