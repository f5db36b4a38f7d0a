import { sql } from 'kysely';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { EVERY_REGION, siteVisibleSql, type RegionSubject } from '../regions/index.js';
import { assertMayUseWorkOrder } from './dispatch.policy.js';

export type RelatedWorkOrder = { id: string; number: string; description: string; status: string };

/**
 * The work orders linked to this one, either way round (a link is stored once, smaller id first);
 * for a region-limited `who`, those at sites they may see (a link across regions names nothing).
 */
export async function listRelated(tx: TenantTx, workOrderId: string, who: RegionSubject = EVERY_REGION): Promise<RelatedWorkOrder[]> {
  const { rows } = await sql<RelatedWorkOrder>`
    select w.id, w.number, w.description, w.status
    from work_order_links l
    join work_orders w on w.id = case when l.work_order_id = ${workOrderId} then l.related_id else l.work_order_id end
    where (l.work_order_id = ${workOrderId} or l.related_id = ${workOrderId}) and ${siteVisibleSql(who, 'w.site_id')}
    order by w.number`.execute(tx);
  return rows;
}

async function existing(tx: TenantTx, ids: string[]): Promise<Set<string>> {
  const rows = await tx.selectFrom('work_orders').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** Links two work orders as related (e.g. one multi-machine job entered as several); audited on both. */
export async function linkWorkOrders(tx: TenantTx, caller: Caller, id: string, relatedId: string): Promise<RelatedWorkOrder[]> {
  if (id === relatedId)
    throw unprocessable('self-link', 'a work order cannot be related to itself', [{ field: 'relatedId', message: 'the same work order' }]);
  const found = await existing(tx, [id, relatedId]);
  if (!found.has(id)) throw notFound('work order', id);
  if (!found.has(relatedId)) throw notFound('work order', relatedId);
  for (const workOrderId of [id, relatedId]) await assertMayUseWorkOrder(tx, caller, workOrderId, 'write');
  const [a, b] = id < relatedId ? [id, relatedId] : [relatedId, id];
  const inserted =
    await sql`insert into work_order_links (work_order_id, related_id) values (${a}, ${b}) on conflict do nothing returning work_order_id`.execute(
      tx,
    );
  if (inserted.rows.length > 0) {
    await recordAudit(tx, caller, { action: 'work_order.linked', entityType: 'work_order', entityId: id, after: { relatedId } });
    await recordAudit(tx, caller, { action: 'work_order.linked', entityType: 'work_order', entityId: relatedId, after: { relatedId: id } });
  }
  return listRelated(tx, id, caller);
}

export async function unlinkWorkOrders(tx: TenantTx, caller: Caller, id: string, relatedId: string): Promise<RelatedWorkOrder[]> {
  for (const workOrderId of [id, relatedId]) await assertMayUseWorkOrder(tx, caller, workOrderId, 'write');
  const [a, b] = id < relatedId ? [id, relatedId] : [relatedId, id];
  const deleted = await sql`delete from work_order_links where work_order_id = ${a} and related_id = ${b} returning work_order_id`.execute(
    tx,
  );
  if (deleted.rows.length === 0) throw notFound('link between these work orders');
  await recordAudit(tx, caller, { action: 'work_order.unlinked', entityType: 'work_order', entityId: id, before: { relatedId } });
  await recordAudit(tx, caller, {
    action: 'work_order.unlinked',
    entityType: 'work_order',
    entityId: relatedId,
    before: { relatedId: id },
  });
  return listRelated(tx, id, caller);
}
