import type { ColumnType, Generated } from 'kysely';

/** The per-tenant event counter: one row whose lock orders publishers by commit. */
export type LiveCounterTable = {
  id: ColumnType<boolean, boolean | undefined, never>;
  last_id: number;
  purged_through: number;
};

/** One live event (kept 24 h for replay with Last-Event-ID). */
export type LiveEventsTable = {
  id: number;
  type: string;
  entity_type: string;
  entity_id: string;
  data: ColumnType<Record<string, unknown>, string, never>;
  driver_ids: ColumnType<string[] | null, string[] | null, never>;
  /** The regions the event is about (null: every reader); see migration 202612031000. */
  regions: ColumnType<string[] | null, string[] | null, never>;
  occurred_at: Generated<Date>;
};

export type WebhookSubscriptionsTable = {
  id: Generated<string>;
  url: string;
  event_types: ColumnType<string[], string[], string[]>;
  secret: string;
  description: string | null;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  version: Generated<number>;
};

export type WebhookDeliveriesTable = {
  id: Generated<string>;
  subscription_id: string;
  event_id: number;
  event_type: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  status: Generated<'pending' | 'delivered' | 'dead'>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Generated<Date>;
};

export type WebhookAttemptsTable = {
  id: Generated<number>;
  delivery_id: string;
  attempted_at: Generated<Date>;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    live_counter: LiveCounterTable;
    live_events: LiveEventsTable;
    webhook_subscriptions: WebhookSubscriptionsTable;
    webhook_deliveries: WebhookDeliveriesTable;
    webhook_attempts: WebhookAttemptsTable;
  }
}
