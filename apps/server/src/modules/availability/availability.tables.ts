import type { ColumnType, Generated } from 'kysely';

type DateOnly = ColumnType<string, string, string>;

export type ShiftPatternsTable = {
  id: Generated<string>;
  driver_id: string;
  kind: 'weekly' | 'rotating';
  weekdays: ColumnType<number[], number[] | undefined, number[]>;
  anchor_date: DateOnly | null;
  on_days: number | null;
  off_days: number | null;
  start_time: string;
  end_time: string;
  valid_from: DateOnly;
  valid_until: DateOnly | null;
  note: string | null;
  created_by_name: string;
  created_at: Generated<Date>;
};

export type ShiftExceptionsTable = {
  id: Generated<string>;
  driver_id: string;
  on_date: DateOnly;
  kind: 'off' | 'work';
  start_time: string | null;
  end_time: string | null;
  note: string | null;
  created_by_name: string;
  created_at: Generated<Date>;
};

export type TimeOffRequestsTable = {
  id: Generated<string>;
  driver_id: string;
  first_day: DateOnly;
  last_day: DateOnly;
  reason: string | null;
  status: Generated<'requested' | 'approved' | 'declined' | 'cancelled'>;
  requested_by_subject: string;
  requested_by_name: string;
  decided_by_subject: string | null;
  decided_by_name: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  version: Generated<number>;
  created_at: Generated<Date>;
};

export type MaintenanceWindowsTable = {
  id: Generated<string>;
  equipment_id: string;
  starts_at: ColumnType<Date, Date | string, Date | string>;
  ends_at: ColumnType<Date, Date | string, Date | string>;
  reason: string;
  created_by_name: string;
  created_at: Generated<Date>;
  cancelled_at: Date | null;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    shift_patterns: ShiftPatternsTable;
    shift_exceptions: ShiftExceptionsTable;
    time_off_requests: TimeOffRequestsTable;
    maintenance_windows: MaintenanceWindowsTable;
  }
}
