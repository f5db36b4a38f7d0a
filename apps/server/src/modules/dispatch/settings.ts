import { sql } from 'kysely';
import type { DispatchSettings } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = { autoProcessing: true, ageingPointsPerMinute: 0, scheduleLeadMinutes: 15 };
const KEY = 'dispatch';

/** select value from tenant_settings where key = 'dispatch' (defaults filled in) */
export async function readDispatchSettings(tx: TenantTx): Promise<DispatchSettings> {
  const { rows } = await sql<{ value: Partial<DispatchSettings> }>`select value from tenant_settings where key = ${KEY}`.execute(tx);
  return { ...DEFAULT_DISPATCH_SETTINGS, ...(rows[0]?.value ?? {}) };
}

export async function writeDispatchSettings(tx: TenantTx, settings: DispatchSettings): Promise<void> {
  await sql`
    insert into tenant_settings (key, value, updated_at) values (${KEY}, ${JSON.stringify(settings)}::jsonb, now())
    on conflict (key) do update set value = excluded.value, updated_at = now()`.execute(tx);
}
