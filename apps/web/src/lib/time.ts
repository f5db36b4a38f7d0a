/** Times are shown in the tenant's time zone (from /api/v1/me), whatever the browser's is. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, style: 'datetime' | 'date' | 'time' | 'short'): Intl.DateTimeFormat {
  const key = `${timeZone}|${style}`;
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
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone });
    } catch {
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' });
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
