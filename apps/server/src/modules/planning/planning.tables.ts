import type { ColumnType, Generated } from 'kysely';

type LocalTimestamp = ColumnType<Date, string, string>;

export type RecurringWorkOrdersTable = {
  id: Generated<string>;
  rule: string;
  local_start: LocalTimestamp;
  until_local: ColumnType<Date | null, string | null | undefined, string | null>;
  template: ColumnType<unknown, string, string>;
  ended_at: Date | null;
  parent_id: string | null;
  created_by_subject: string;
  created_by_name: string;
  created_at: Generated<Date>;
  version: Generated<number>;
};

export type RecurrenceOccurrencesTable = {
  id: Generated<string>;
  series_id: string;
  local_start: LocalTimestamp;
  starts_at: ColumnType<Date, Date | string, Date | string>;
  status: 'created' | 'skipped' | 'detached';
  work_order_id: string | null;
  skipped_reason: string | null;
  created_at: Generated<Date>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    recurring_work_orders: RecurringWorkOrdersTable;
    recurrence_occurrences: RecurrenceOccurrencesTable;
  }
}
