import { sql } from 'kysely';
import { beforeCommit, databaseOf, onCommit, schemaOf, type FinalWrite, type TenantTx } from '../../platform/db/index.js';
import './notifications.tables.js';

export type LiveEventInput = {
  type: string;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
  /** The drivers (drivers.id) allowed to see the event; other roles see every event. */
  driverIds?: string[];
  /**
   * The regions the event is about, when the publisher knows better than the stored row (a row
   * that moved: its old and new region; null in the list: shared, everyone). Omitted: the region
   * of the entity as stored at commit (`region_of_entity`: a dispatch's or work order's site's).
   */
  regions?: ReadonlyArray<string | null>;
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
  const produce = (): FinalWrite | null => {
    const events = pending.get(tx) ?? [];
    pending.delete(tx);
    return events.length === 0 ? null : liveWrite(tx, events);
  };
  if (beforeCommit(tx, 'live.flush', 50, produce)) return;
  const write = produce();
  if (write) {
    const { rows } = await sql<{ p: unknown }>`select ${write.sql} as p`.execute(tx);
    write.done?.(rows[0]?.p, false);
  }
}

/** The events as one `live_publish` call (part of the transaction's final write); wake-ups after commit. */
function liveWrite(tx: TenantTx, events: readonly LiveEventInput[]): FinalWrite {
  const input = JSON.stringify(
    events.map((e) => ({
      type: e.type,
      entity_type: e.entityType,
      entity_id: e.entityId,
      data: e.data,
      driver_ids: e.driverIds ?? null,
      ...(e.regions ? { regions: e.regions } : {}),
    })),
  );
  const db = databaseOf(tx);
  return {
    sql: sql`live_publish(${input}::jsonb)`,
    // Other instances' hubs: woken in the COMMIT's round trip when the driver can.
    wake: { channel: EVENTS_CHANNEL, payload: schemaOf(tx) },
    done: (value, woken) => {
      const result = (typeof value === 'string' ? JSON.parse(value) : value) as { schema?: string; webhooks?: number } | null;
      const schema = result?.schema ?? '';
      const withWebhooks = (result?.webhooks ?? 0) > 0;
      onCommit(tx, () => {
        wakeLocally('events', schema);
        if (!woken) notifyAfterCommit(db, EVENTS_CHANNEL, schema);
        if (withWebhooks) {
          wakeLocally('webhooks', schema);
          notifyAfterCommit(db, WEBHOOKS_CHANNEL, schema);
        }
      });
    },
  };
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
