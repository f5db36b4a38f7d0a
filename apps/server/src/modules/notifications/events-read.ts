import type { TenantTx } from '../../platform/db/index.js';
import './notifications.tables.js';

export type StoredLiveEvent = { id: number; type: string; entityId: string; data: Record<string, unknown>; driverIds: string[] | null };

/** select … from live_events where id > $after order by id limit $n — for readers that follow the durable stream (Web Push). */
export async function readLiveEventsAfter(tx: TenantTx, afterId: number, limit: number): Promise<StoredLiveEvent[]> {
  const rows = await tx
    .selectFrom('live_events')
    .select(['id', 'type', 'entity_id', 'data', 'driver_ids'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: Number(r.id), type: r.type, entityId: r.entity_id, data: r.data, driverIds: r.driver_ids }));
}
