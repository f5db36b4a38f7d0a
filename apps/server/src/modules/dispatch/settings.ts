import { DispatchSettingsSchema, type DispatchSettings } from '@yardmaster/contracts';
import type { TenantTx } from '../../platform/db/index.js';
import { tenantSettings } from '../../platform/tenant-settings.js';

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = { autoProcessing: true, ageingPointsPerMinute: 0, scheduleLeadMinutes: 15 };

/** `tenant_settings['dispatch']`: automatic processing, ageing, schedule lead time. */
export const dispatchSettings = tenantSettings('dispatch', DispatchSettingsSchema, () => ({ ...DEFAULT_DISPATCH_SETTINGS }));

/** select value from tenant_settings where key = 'dispatch' (defaults filled in) */
export const readDispatchSettings = (tx: TenantTx): Promise<DispatchSettings> => dispatchSettings.read(tx);

export async function writeDispatchSettings(tx: TenantTx, settings: DispatchSettings): Promise<void> {
  await dispatchSettings.write(tx, settings);
}
