import { RETENTION_MINIMUMS, RetentionSettingsSchema, type RetentionSettings } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { validationFailed } from '../../platform/errors.js';
import { tenantSettings } from '../../platform/tenant-settings.js';
import { recordAudit } from '../audit/index.js';

const KEY = 'reporting.retention';

/** Defaults are the minimums: finished work orders and status reports 7 years, audit 3 years. */
export const DEFAULT_RETENTION: RetentionSettings = { ...RETENTION_MINIMUMS };

/** Stored as `{ …periods, version }`: the purge guard in SQL reads `statusReportsYears` from it. */
const retention = tenantSettings(KEY, RetentionSettingsSchema, () => ({ ...DEFAULT_RETENTION }), { label: 'retention settings' });

/** select value from tenant_settings where key = 'reporting.retention' (defaults, version 0, when unset) */
export async function getRetention(tx: TenantTx): Promise<{ settings: RetentionSettings; version: number }> {
  const { value, version } = await retention.readVersioned(tx);
  return { settings: value, version };
}

/** Replaces the retention periods (If-Match version); refuses anything below the minimums. */
export async function putRetention(
  tx: TenantTx,
  caller: Caller,
  input: RetentionSettings,
  expectedVersion: number,
): Promise<{ settings: RetentionSettings; version: number }> {
  const errors = (Object.keys(RETENTION_MINIMUMS) as Array<keyof RetentionSettings>)
    .filter((k) => input[k] < RETENTION_MINIMUMS[k])
    .map((k) => ({ field: k, message: `must be at least ${RETENTION_MINIMUMS[k]} years` }));
  if (errors.length > 0) throw validationFailed('retention below the minimum', errors);
  const { before, after, version } = await retention.replace(tx, input, expectedVersion);
  await recordAudit(tx, caller, {
    action: 'retention.updated',
    entityType: 'tenant_settings',
    entityId: KEY,
    before: { ...before },
    after: { ...after },
  });
  return { settings: { ...after }, version };
}
