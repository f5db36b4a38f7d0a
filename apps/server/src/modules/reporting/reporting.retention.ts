import { sql } from 'kysely';
import { RETENTION_MINIMUMS, type RetentionSettings } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { staleVersion, validationFailed } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';

const KEY = 'reporting.retention';

/** Defaults are the minimums: finished work orders and status reports 7 years, audit 3 years. */
export const DEFAULT_RETENTION: RetentionSettings = { ...RETENTION_MINIMUMS };

type Stored = RetentionSettings & { version: number };

/** select value from tenant_settings where key = 'reporting.retention' (defaults, version 0, when unset) */
export async function getRetention(tx: TenantTx): Promise<{ settings: RetentionSettings; version: number }> {
  const { rows } = await sql<{ value: Stored }>`select value from tenant_settings where key = ${KEY}`.execute(tx);
  const v = rows[0]?.value;
  if (!v) return { settings: { ...DEFAULT_RETENTION }, version: 0 };
  return { settings: { workOrdersYears: v.workOrdersYears, statusReportsYears: v.statusReportsYears, auditYears: v.auditYears }, version: v.version };
}

/** Replaces the retention periods (If-Match version); refuses anything below the minimums. */
export async function putRetention(tx: TenantTx, caller: Caller, input: RetentionSettings, expectedVersion: number): Promise<{ settings: RetentionSettings; version: number }> {
  const errors = (Object.keys(RETENTION_MINIMUMS) as Array<keyof RetentionSettings>)
    .filter((k) => input[k] < RETENTION_MINIMUMS[k])
    .map((k) => ({ field: k, message: `must be at least ${RETENTION_MINIMUMS[k]} years` }));
  if (errors.length > 0) throw validationFailed('retention below the minimum', errors);
  await sql`select pg_advisory_xact_lock(hashtext(current_setting('search_path') || ${KEY}))`.execute(tx);
  const current = await getRetention(tx);
  if (current.version !== expectedVersion) throw staleVersion('retention settings', KEY);
  const version = current.version + 1;
  const value: Stored = { ...input, version };
  await sql`
    insert into tenant_settings (key, value, updated_at) values (${KEY}, ${JSON.stringify(value)}::jsonb, now())
    on conflict (key) do update set value = excluded.value, updated_at = now()`.execute(tx);
  await recordAudit(tx, caller, { action: 'retention.updated', entityType: 'tenant_settings', entityId: KEY, before: { ...current.settings }, after: { ...input } });
  return { settings: { ...input }, version };
}
