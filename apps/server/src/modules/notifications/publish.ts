import { sql } from 'kysely';
import { onCommit, type TenantTx } from '../../platform/db/index.js';
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

/**
 * Publishes a live event in the caller's transaction: durable (replayable for 24 h), delivered to
 * connected SSE clients after commit, and queued for every matching webhook subscription.
 *
 * Takes the tenant's event-counter row lock until commit (ids are allocated in commit order), so
 * call it late in a use case, after the module's own row locks.
 */
export async function publishEvent(tx: TenantTx, event: LiveEventInput): Promise<void> {
  const counter = await tx
    .updateTable('live_counter')
    .set((eb) => ({ last_id: eb('last_id', '+', 1) }))
    .where('id', '=', true)
    .returning('last_id')
    .executeTakeFirstOrThrow();
  const id = counter.last_id;
  const inserted = await tx
    .insertInto('live_events')
    .values({
      id,
      type: event.type,
      entity_type: event.entityType,
      entity_id: event.entityId,
      data: JSON.stringify(event.data),
      driver_ids: event.driverIds ?? null,
    })
    .returning(['id', 'type', 'entity_type', 'entity_id', 'data', 'occurred_at'])
    .executeTakeFirstOrThrow();

  const subscriptions = await tx
    .selectFrom('webhook_subscriptions')
    .select('id')
    .where('active', '=', true)
    .where(sql<boolean>`(${event.type} = any(event_types) or '*' = any(event_types))`)
    .execute();
  if (subscriptions.length > 0) {
    const payload = JSON.stringify(eventPayload(inserted));
    await tx
      .insertInto('webhook_deliveries')
      .values(subscriptions.map((s) => ({ subscription_id: s.id, event_id: id, event_type: event.type, payload })))
      .execute();
    await sql`select pg_notify(${WEBHOOKS_CHANNEL}, current_setting('search_path'))`.execute(tx);
  }
  const { rows } = await sql<{ schema: string }>`
    select current_setting('search_path') as schema, pg_notify(${EVENTS_CHANNEL}, current_setting('search_path'))`.execute(tx);
  const schema = rows[0]?.schema ?? '';
  const withWebhooks = subscriptions.length > 0;
  onCommit(tx, () => {
    wakeLocally('events', schema);
    if (withWebhooks) wakeLocally('webhooks', schema);
  });
}
