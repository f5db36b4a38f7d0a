import type { PlanningSettings, UpdatePlanningSettings } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { announce } from '../../platform/events.js';
import { readPlanningSettings, writePlanningSettings } from '../availability/index.js';
import { recordAudit } from '../audit/index.js';
import { invalidPlan } from './planning.errors.js';
import { isRealTimeZone } from './zone.js';

/**
 * The tenant's planning settings. The zone starts as the tenant's own and is stored with the first
 * plan written, so the SQL predicate (which reads only the tenant schema) and the server agree.
 */
export async function planningSettingsFor(tx: TenantTx, tenantZone: string, store = false): Promise<PlanningSettings> {
  const { zoneSet, ...settings } = await readPlanningSettings(tx, tenantZone);
  if (store && !zoneSet) await writePlanningSettings(tx, settings);
  return settings;
}

export async function updatePlanningSettings(
  tx: TenantTx,
  caller: Caller,
  tenantZone: string,
  input: UpdatePlanningSettings,
): Promise<PlanningSettings> {
  if (input.timeZone !== undefined && !isRealTimeZone(input.timeZone))
    throw invalidPlan('timeZone', `"${input.timeZone}" is not a time zone (use an IANA name such as Europe/London)`);
  const before = await planningSettingsFor(tx, tenantZone);
  const after = { ...before, ...input };
  await writePlanningSettings(tx, after);
  await recordAudit(tx, caller, { action: 'planning.settings_changed', entityType: 'settings', entityId: 'planning', before, after });
  await announce(tx, caller, 'capacity.changed', { reason: 'planning.changed' });
  return after;
}
