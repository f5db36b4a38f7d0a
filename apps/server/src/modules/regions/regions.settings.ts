import { sql } from 'kysely';
import type { RegionSettings, UpdateRegionSettings } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { announce } from '../../platform/events.js';
import { recordAudit } from '../audit/index.js';
import { REGION_SETTINGS_KEY } from './regions.policy.js';

export const DEFAULT_REGION_SETTINGS: RegionSettings = { crossRegionMatching: false };

/** select value from tenant_settings where key = 'regions' (defaults filled in) */
export async function readRegionSettings(tx: TenantTx): Promise<RegionSettings> {
  const { rows } = await sql<{
    value: Partial<RegionSettings>;
  }>`select value from tenant_settings where key = ${REGION_SETTINGS_KEY}`.execute(tx);
  return { ...DEFAULT_REGION_SETTINGS, ...(rows[0]?.value ?? {}) };
}

/** Admins change the region settings; allowing matching across regions may serve waiting work at once. */
export async function updateRegionSettings(tx: TenantTx, caller: Caller, input: UpdateRegionSettings): Promise<RegionSettings> {
  await sql`select 1 from tenant_settings where key = ${REGION_SETTINGS_KEY} for update`.execute(tx);
  const before = await readRegionSettings(tx);
  const after = { ...before, ...input };
  await sql`
    insert into tenant_settings (key, value, updated_at) values (${REGION_SETTINGS_KEY}, ${JSON.stringify(after)}::jsonb, now())
    on conflict (key) do update set value = excluded.value, updated_at = now()`.execute(tx);
  await recordAudit(tx, caller, {
    action: 'settings.regions_updated',
    entityType: 'tenant_settings',
    entityId: REGION_SETTINGS_KEY,
    before,
    after,
  });
  if (after.crossRegionMatching && !before.crossRegionMatching)
    await announce(tx, caller, 'capacity.changed', { reason: 'regions.cross_matching_allowed' });
  return after;
}
