import type { Generated } from 'kysely';
import type { DispatchStatus } from '@yardmaster/contracts';

export type WorkOrdersTable = {
  id: Generated<string>;
  number: string;
  site_id: string;
  description: string;
  priority: 'urgent' | 'standard' | 'low';
  requested_start: Date;
  due_at: Date | null;
  notes: string | null;
  status: Generated<'pending' | 'assigned' | 'completed' | 'cancelled'>;
  created_by_subject: string;
  created_by_name: string;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type WorkOrderLinesTable = {
  id: Generated<string>;
  work_order_id: string;
  line_no: number;
  equipment_type_id: string;
  quantity: number;
  equipment_id: string | null;
};

export type WorkOrderCounterTable = { id: Generated<boolean>; last_number: number };

export type { DispatchStatus };

export type DispatchesTable = {
  id: Generated<string>;
  work_order_id: string;
  line_id: string;
  equipment_type_id: string;
  requested_equipment_id: string | null;
  site_id: string;
  priority: 'urgent' | 'standard' | 'low';
  status: DispatchStatus;
  requested_start: Date;
  queued_at: Date | null;
  queue_seq: number | null;
  equipment_id: string | null;
  driver_id: string | null;
  assigned_by_kind: 'user' | 'system' | null;
  assigned_by_subject: string | null;
  assigned_by_name: string | null;
  declined_driver_ids: Generated<string[]>;
  notes: string | null;
  decline_reason: string | null;
  recall_reason: string | null;
  cancel_reason: string | null;
  hold_reason: string | null;
  hold_not_before: Date | null;
  replaces_dispatch_id: string | null;
  created_at: Generated<Date>;
  dispatched_at: Date | null;
  en_route_at: Date | null;
  on_site_at: Date | null;
  returning_at: Date | null;
  completed_at: Date | null;
  recalled_at: Date | null;
  cancelled_at: Date | null;
  held_at: Date | null;
  version: Generated<number>;
  updated_at: Generated<Date>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    work_orders: WorkOrdersTable;
    work_order_lines: WorkOrderLinesTable;
    work_order_counter: WorkOrderCounterTable;
    dispatches: DispatchesTable;
  }
}
