import { sql } from 'kysely';
import { beforeCommit, databaseOf, onCommit, type TenantTx } from '../../platform/db/index.js';
import './notifications.tables.js';

export type LiveEventInput = {
  type: string;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
  /** The drivers (drivers.id) allowed to see the event; other roles see every event. */
  driverIds?: string[];
};

/** Channels: a tenant's schema name is the payload (wake-ups only; rows are the truth). */
export const EVENTS_CHANNEL = 'ym_events';
export const WEBHOOKS_CHANNEL = 'ym_webhooks';

export type WakeKind = 'events' | 'webhooks';

/** In-process listeners (this instance's hub and webhook worker): woken after commit, no round trip. */
const localListeners = new Set<(kind: WakeKind, schema: string) => void>();

export function onLocalWake(listener: (kind: WakeKind, schema: string) => void): () => void {
  localListeners.add(listener);
  return () => localListeners.delete(listener);
}

function wakeLocally(kind: WakeKind, schema: string): void {
  for (const listener of localListeners) listener(kind, schema);
}

/** The JSON body a webhook receives and the `data:` of an SSE message. */
export function eventPayload(row: {
  id: number;
  type: string;
  entity_type: string;
  entity_id: string;
  data: Record<string, unknown>;
  occurred_at: Date | string;
}): Record<string, unknown> {
  return {
    id: String(row.id),
    type: row.type,
    entityType: row.entity_type,
    entityId: row.entity_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    data: row.data,
  };
}

/** Events published in a transaction and not yet written: flushed together just before COMMIT. */
const pending = new WeakMap<TenantTx, LiveEventInput[]>();

/**
 * Publishes a live event in the caller's transaction: durable (replayable for 24 h), delivered to
 * connected SSE clients after commit, and queued for every matching webhook subscription.
 *
 * Buffered: a transaction's events are written at its end in ONE statement (event ids from the
 * tenant's counter row, whose lock is then held only until commit, so ids are allocated in
 * commit order; the webhook outbox rows in the same statement). The wake-up NOTIFY is sent after
 * commit, one per tenant and channel per turn of the event loop however many commits it covers:
 * a NOTIFY inside the transaction would take a database-wide lock until commit. Readers poll too.
 */
export async function publishEvent(tx: TenantTx, event: LiveEventInput): Promise<void> {
  const buffer = pending.get(tx);
  if (buffer) {
    buffer.push(event);
    return;
  }
  pending.set(tx, [event]);
  if (!beforeCommit(tx, 'live.flush', 50, () => flushEvents(tx))) await flushEvents(tx);
}

async function flushEvents(tx: TenantTx): Promise<void> {
  const events = pending.get(tx) ?? [];
  pending.delete(tx);
  if (events.length === 0) return;
  const input = JSON.stringify(events.map((e) => ({ type: e.type, entity_type: e.entityType, entity_id: e.entityId, data: e.data, driver_ids: e.driverIds ?? null })));
  const { rows } = await sql<{ schema: string; webhooks: number }>`
    with input as (
      select e.ord::int as ord, e.value->>'type' as type, e.value->>'entity_type' as entity_type, e.value->>'entity_id' as entity_id, e.value->'data' as data,
        case when jsonb_typeof(e.value->'driver_ids') = 'array' then array(select jsonb_array_elements_text(e.value->'driver_ids')::uuid) end as driver_ids
      from jsonb_array_elements(${input}::jsonb) with ordinality as e(value, ord)
    ),
    counter as (update live_counter set last_id = last_id + ${events.length} where id = true returning last_id - ${events.length} as base),
    inserted as (
      insert into live_events (id, type, entity_type, entity_id, data, driver_ids)
      select counter.base + input.ord, input.type, input.entity_type, input.entity_id, input.data, input.driver_ids from input, counter order by input.ord
      returning id, type, entity_type, entity_id, data, occurred_at
    ),
    deliveries as (
      insert into webhook_deliveries (subscription_id, event_id, event_type, payload)
      select s.id, i.id, i.type, jsonb_build_object(
        'id', i.id::text, 'type', i.type, 'entityType', i.entity_type, 'entityId', i.entity_id,
        'occurredAt', to_char(i.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', i.data)
      from inserted i join webhook_subscriptions s on s.active and (i.type = any(s.event_types) or '*' = any(s.event_types))
      order by i.id, s.id
      returning 1
    )
    select current_setting('search_path') as schema, (select count(*) from deliveries)::int as webhooks`.execute(tx);
  const schema = rows[0]?.schema ?? '';
  const withWebhooks = (rows[0]?.webhooks ?? 0) > 0;
  const db = databaseOf(tx);
  onCommit(tx, () => {
    wakeLocally('events', schema);
    notifyAfterCommit(db, EVENTS_CHANNEL, schema);
    if (withWebhooks) {
      wakeLocally('webhooks', schema);
      notifyAfterCommit(db, WEBHOOKS_CHANNEL, schema);
    }
  });
}

const notifyPending = new Set<string>();

/** One NOTIFY per channel and tenant per turn of the event loop, outside any transaction. */
function notifyAfterCommit(db: ReturnType<typeof databaseOf>, channel: string, schema: string): void {
  const key = `${channel}\u0000${schema}`;
  if (notifyPending.has(key)) return;
  notifyPending.add(key);
  setImmediate(() => {
    notifyPending.delete(key);
    sql`select pg_notify(${channel}, ${schema})`.execute(db).catch((error: unknown) => {
      // A lost wake-up delays delivery until the readers' next poll; it loses nothing.
      process.emitWarning(`live event wake-up (NOTIFY ${channel}) failed: ${String(error)}`);
    });
  });
}
