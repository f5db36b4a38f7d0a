/**
 * Times are shown in the tenant's time zone and written the tenant's way (its locale), both from
 * /api/v1/me, whatever the browser's are. The locale is set once when /me loads (the session), so
 * call sites pass only the zone. The clock stays 24-hour in every locale (dispatch works in shifts).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

let displayLocale = 'en-GB';

/** The tenant's locale (BCP 47) for every date written from now on; the session sets it from /me. */
export function setDisplayLocale(locale: string): void {
  displayLocale = Intl.DateTimeFormat.supportedLocalesOf([locale]).length > 0 ? locale : 'en-GB';
}

export function currentDisplayLocale(): string {
  return displayLocale;
}

function formatter(timeZone: string, style: 'datetime' | 'date' | 'time' | 'short'): Intl.DateTimeFormat {
  const key = `${displayLocale}|${timeZone}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      style === 'short'
        ? { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
        : style === 'date'
          ? { year: 'numeric', month: 'short', day: '2-digit' }
          : style === 'time'
            ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
            : { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    try {
      f = new Intl.DateTimeFormat(displayLocale, { ...options, timeZone });
    } catch {
      f = new Intl.DateTimeFormat(displayLocale, { ...options, timeZone: 'UTC' });
    }
    formatters.set(key, f);
  }
  return f;
}

export function formatDateTime(value: string | number | Date | null | undefined, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : formatter(timeZone, 'datetime').format(d);
}

export function formatDate(value: string | number | Date | null | undefined, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : formatter(timeZone, 'date').format(d);
}

export function formatTime(value: string | number | Date | null | undefined, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : formatter(timeZone, 'time').format(d);
}

/** "3 min", "2 h 05 min", "1 d 4 h" — how long something has waited. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return '<1 min';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function ageOf(since: string | null | undefined, now: number = Date.now()): string {
  if (!since) return '—';
  return formatDuration(now - new Date(since).getTime());
}

/** "19 Nov, 14:00": for chart axes. */
export function formatShort(value: string | number | Date | null | undefined, timeZone: string): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : formatter(timeZone, 'short').format(d);
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
/** The wall-clock fields of an instant in a zone. */
function wallFields(instant: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number } {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    partsFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute) };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as local wall-clock time in a zone: 'YYYY-MM-DDTHH:MM' (the planning API's local format). */
export function wallTimeOf(instant: number | Date, timeZone: string): string {
  const f = wallFields(new Date(instant).getTime(), timeZone);
  return `${f.y}-${pad(f.mo)}-${pad(f.d)}T${pad(f.h)}:${pad(f.mi)}`;
}

/**
 * A local wall-clock time ('YYYY-MM-DDTHH:MM' or a day 'YYYY-MM-DD' = its midnight) in a zone as an
 * instant (ms). A time skipped by a daylight-saving change is read with the offset before it, as the
 * server does (01:30 on a spring-forward night in London is 02:30 BST).
 */
export function instantOfWallTime(local: string, timeZone: string): number {
  const [date = '', time = '00:00'] = local.split('T');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const asUtc = Date.UTC(y ?? 1970, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0);
  const offsetAt = (instant: number) => {
    const f = wallFields(instant, timeZone);
    return Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi) - instant;
  };
  // Candidates from the offsets half a day either side; a repeated time (autumn) takes the later
  // instant (standard time), a skipped one (spring) the offset before the change.
  const before = asUtc - offsetAt(asUtc - 43_200_000);
  const after = asUtc - offsetAt(asUtc + 43_200_000);
  const valid = [before, after].filter((c) => offsetAt(c) === asUtc - c);
  return valid.length > 0 ? Math.max(...valid) : before;
}

/** The day after a local day ('YYYY-MM-DD'). */
export function nextDay(day: string, days = 1): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
