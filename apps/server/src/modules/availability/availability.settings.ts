import { sql } from 'kysely';
import type { PlanningSettings } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';

export const DEFAULT_PLANNING_SETTINGS: PlanningSettings = {
  timeZone: 'UTC',
  allowOvertime: false,
  horizonDays: 28,
  maxOccurrencesPerSeries: 200,
};
const KEY = 'planning';

/** select value from tenant_settings where key = 'planning' (defaults filled in; the zone defaults to the tenant's). */
export async function readPlanningSettings(tx: TenantTx, tenantZone = 'UTC'): Promise<PlanningSettings & { zoneSet: boolean }> {
  const { rows } = await sql<{ value: Partial<PlanningSettings> }>`select value from tenant_settings where key = ${KEY}`.execute(tx);
  const stored = rows[0]?.value ?? {};
  return { ...DEFAULT_PLANNING_SETTINGS, timeZone: tenantZone, ...stored, zoneSet: typeof stored.timeZone === 'string' };
}

export async function writePlanningSettings(tx: TenantTx, settings: PlanningSettings): Promise<void> {
  await sql`
    insert into tenant_settings (key, value, updated_at) values (${KEY}, ${JSON.stringify(settings)}::jsonb, now())
    on conflict (key) do update set value = excluded.value, updated_at = now()`.execute(tx);
}

/** A local day ('YYYY-MM-DD') as a dispatcher says it: "Mon 7 Dec". */
export function sayDay(day: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' })
    .format(new Date(`${day}T00:00:00Z`))
    .replace(',', '');
}

/** An instant in the planning zone: "Mon 7 Dec 07:00". */
export function sayTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('weekday')} ${get('day')} ${get('month')} ${get('hour')}:${get('minute')}`;
}
