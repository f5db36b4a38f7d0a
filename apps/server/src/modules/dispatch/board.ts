import { sql } from 'kysely';
import { ACTIVE_DISPATCH_STATUSES, type Board, type Dispatch } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { siteVisibleSql, type RegionSubject } from '../regions/index.js';
import { decodeCursor, pageFrom } from '../../platform/db/index.js';
import { queuedReason, selectQueuedTypeCapacity } from './board-reasons.js';
import { queueScoreSql } from './dispatch.repo.js';
import { readDispatchSettings } from './settings.js';
import { dispatchView, type DispatchRow } from './views.js';

type Row = DispatchRow & { work_order_number: string };

/**
 * The live board: queued in fair order with their position among the queued requests of their
 * equipment type ("#2 of 5") and the one-line reason each waits, scheduled, active. Positions count
 * the whole queue; the rows shown are those in the caller's regions.
 */
export async function readBoard(tx: TenantTx, caller: Caller): Promise<Board> {
  const settings = await readDispatchSettings(tx);
  const queued = (
    await sql<Row & { queue_position: number; competing: number; waiting_seconds: number }>`
      select * from (select d.*, w.number as work_order_number,
        row_number() over (partition by d.equipment_type_id order by ${queueScoreSql(settings.ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq)::int as queue_position,
        count(*) over (partition by d.equipment_type_id)::int as competing,
        extract(epoch from (now() - d.queued_at))::int as waiting_seconds,
        row_number() over (order by ${queueScoreSql(settings.ageingPointsPerMinute)} desc, d.queued_at, d.queue_seq) as board_order
      from dispatches d join work_orders w on w.id = d.work_order_id
      where d.status = 'queued') queued
      -- Positions count the whole queue; the rows shown are those in the caller's regions.
      where ${siteVisibleSql(caller, 'queued.site_id')}
      order by board_order
      limit 1000`.execute(tx)
  ).rows;
  const capacity = queued.length > 0 ? await selectQueuedTypeCapacity(tx) : new Map<string, never>();
  const others = await tx
    .selectFrom('dispatches as d')
    .innerJoin('work_orders as w', 'w.id', 'd.work_order_id')
    .selectAll('d')
    .select('w.number as work_order_number')
    .where('d.status', 'in', ['scheduled', 'held', ...ACTIVE_DISPATCH_STATUSES])
    .where(siteVisibleSql(caller, 'd.site_id'))
    .orderBy('d.requested_start')
    .limit(5000)
    .execute();
  return {
    queued: queued.map((r) => ({
      ...dispatchView(r),
      queuePosition: r.queue_position,
      competing: r.competing,
      reason: queuedReason({
        position: r.queue_position,
        declinedBy: r.declined_driver_ids.length,
        autoProcessing: settings.autoProcessing,
        capacity: capacity.get(r.equipment_type_id),
      }),
      waitingSeconds: Math.max(0, r.waiting_seconds),
    })),
    scheduled: others.filter((r) => r.status === 'scheduled').map(dispatchView),
    held: others.filter((r) => r.status === 'held').map(dispatchView),
    active: others.filter((r) => r.status !== 'scheduled' && r.status !== 'held').map(dispatchView),
    autoProcessing: settings.autoProcessing,
  };
}

export async function listDispatches(
  tx: TenantTx,
  caller: RegionSubject,
  query: { limit: number; cursor?: string; status?: DispatchRow['status'][]; workOrderId?: string; driverId?: string },
): Promise<{ items: Dispatch[]; nextCursor: string | null }> {
  const after = decodeCursor(query.cursor);
  let q = tx
    .selectFrom('dispatches as d')
    .innerJoin('work_orders as w', 'w.id', 'd.work_order_id')
    .selectAll('d')
    .select('w.number as work_order_number');
  q = q.where(siteVisibleSql(caller, 'd.site_id'));
  if (query.status?.length) q = q.where('d.status', 'in', query.status);
  if (query.workOrderId) q = q.where('d.work_order_id', '=', query.workOrderId);
  if (query.driverId) q = q.where('d.driver_id', '=', query.driverId);
  if (after) q = q.where((eb) => eb(eb.refTuple('d.created_at', 'd.id'), '<', eb.tuple(new Date(String(after.k)), after.id)));
  const rows = await q
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = pageFrom(rows, query.limit, (r) => ({ k: r.created_at.toISOString(), id: r.id }));
  return { items: page.items.map(dispatchView), nextCursor: page.nextCursor };
}
