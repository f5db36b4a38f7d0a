import type { ColumnType, Generated } from 'kysely';

export type AlertsTable = {
  id: Generated<string>;
  key: string;
  kind: 'queued_too_long' | 'urgent_queue_depth' | 'qualification_expiring' | 'qualification_shortfall';
  entity_type: string;
  entity_id: string;
  message: string;
  details: ColumnType<Record<string, unknown>, string, string>;
  first_seen_at: Generated<Date>;
  raised_at: Date | null;
  resolved_at: Date | null;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    alerts: AlertsTable;
  }
}
