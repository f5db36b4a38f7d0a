import type { ColumnType, Generated } from 'kysely';

type Ts = ColumnType<Date, Date | string, never>;
type TsNull = ColumnType<Date | null, Date | string | null | undefined, never>;
type Text = ColumnType<string, string, never>;
type TextNull = ColumnType<string | null, string | null | undefined, never>;

/** One immutable status report (trigger + privileges refuse UPDATE/DELETE). */
export type StatusReportsTable = {
  id: Generated<string>;
  number: ColumnType<number, never, never>;
  dispatch_id: Text;
  final_status: Text;
  priority: Text;
  work_order_id: Text;
  work_order_number: Text;
  work_order_description: TextNull;
  site_id: Text;
  site_name: Text;
  site_address: TextNull;
  equipment_id: Text;
  equipment_asset_tag: Text;
  equipment_name: Text;
  equipment_type_id: Text;
  equipment_type_code: Text;
  equipment_type_name: Text;
  driver_id: Text;
  driver_name: Text;
  dispatcher_kind: Text;
  dispatcher_subject: Text;
  dispatcher_name: Text;
  requested_at: TsNull;
  created_at: Ts;
  queued_at: TsNull;
  dispatched_at: Ts;
  en_route_at: TsNull;
  on_site_at: TsNull;
  returning_at: TsNull;
  completed_at: TsNull;
  recalled_at: TsNull;
  finished_at: Ts;
  notes: TextNull;
  recall_reason: TextNull;
  generated_at: ColumnType<Date, Date | string | undefined, never>;
  content_hash: Text;
};

/** Correction notes appended to a report (append-only too). */
export type StatusReportNotesTable = {
  id: Generated<string>;
  report_id: Text;
  body: Text;
  author_subject: Text;
  author_name: Text;
  created_at: ColumnType<Date, Date | string | undefined, never>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    status_reports: StatusReportsTable;
    status_report_notes: StatusReportNotesTable;
  }
}
