import type { UpdateWorkOrder, WorkOrder } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { containsPattern, decodeCursor, pageFrom, type TenantTx } from '../../platform/db/index.js';
import { notFound, staleVersion, unprocessable } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import { selectWorkOrderDetails, selectWorkOrderRow, type LineRow, type WorkOrderRow } from './dispatch.repo.js';
import { siteVisibleSql } from '../regions/index.js';
import { assertMayActAtSite, assertMaySeeSite } from './dispatch.policy.js';

export function workOrderView(row: WorkOrderRow, lines: readonly LineRow[], dispatchIds: readonly string[]): WorkOrder {
  return {
    id: row.id,
    number: row.number,
    siteId: row.site_id,
    description: row.description,
    priority: row.priority,
    requestedStart: new Date(row.requested_start).toISOString(),
    dueAt: row.due_at ? new Date(row.due_at).toISOString() : null,
    notes: row.notes,
    status: row.status,
    lines: lines.map((l) => ({
      id: l.id,
      lineNo: l.line_no,
      equipmentTypeId: l.equipment_type_id,
      quantity: l.quantity,
      equipmentId: l.equipment_id,
    })),
    dispatchIds: [...dispatchIds],
    createdBy: { subject: row.created_by_subject, name: row.created_by_name },
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

async function viewsOf(tx: TenantTx, rows: readonly WorkOrderRow[]): Promise<WorkOrder[]> {
  const details = await selectWorkOrderDetails(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => workOrderView(r, details.get(r.id)?.lines ?? [], details.get(r.id)?.dispatchIds ?? []));
}

export async function getWorkOrder(tx: TenantTx, caller: Caller, id: string): Promise<WorkOrder> {
  const row = await selectWorkOrderRow(tx, id);
  if (!row) throw notFound('work order', id);
  await assertMaySeeSite(tx, caller, row.site_id, 'work order', id);
  const [view] = await viewsOf(tx, [row]);
  if (!view) throw notFound('work order', id);
  return view;
}

export async function listWorkOrders(
  tx: TenantTx,
  caller: Caller,
  query: { limit: number; cursor?: string; status?: WorkOrder['status']; siteId?: string; q?: string },
) {
  const after = decodeCursor(query.cursor);
  let q = tx.selectFrom('work_orders').selectAll().where(siteVisibleSql(caller, 'work_orders.site_id'));
  if (query.status) q = q.where('status', '=', query.status);
  if (query.siteId) q = q.where('site_id', '=', query.siteId);
  if (query.q) {
    const pattern = containsPattern(query.q);
    q = q.where((eb) => eb.or([eb('number', 'ilike', pattern), eb('description', 'ilike', pattern)]));
  }
  if (after) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(new Date(String(after.k)), after.id)));
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = pageFrom(rows, query.limit, (r) => ({ k: r.created_at.toISOString(), id: r.id }));
  return { items: await viewsOf(tx, page.items), nextCursor: page.nextCursor };
}

/** Edits what describes a work order (not its lines: those are dispatched); If-Match version. */
export async function updateWorkOrder(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expected: number,
  input: UpdateWorkOrder,
): Promise<WorkOrder> {
  const before = await selectWorkOrderRow(tx, id, true);
  if (!before) throw notFound('work order', id);
  await assertMayActAtSite(tx, caller, before.site_id, 'this work order');
  if (before.version !== expected) throw staleVersion('work order', id);
  const dueAt = input.dueAt === undefined ? before.due_at : input.dueAt === null ? null : new Date(input.dueAt);
  if (dueAt && dueAt < before.requested_start)
    throw unprocessable('validation', 'the due time must not be before the requested start', [
      { field: 'dueAt', message: 'before the requested start' },
    ]);
  const after = await tx
    .updateTable('work_orders')
    .set({
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
      due_at: dueAt,
      version: before.version + 1,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const [beforeView, afterView] = await viewsOf(tx, [before, after]);
  if (!beforeView || !afterView) throw notFound('work order', id);
  await recordAudit(tx, caller, {
    action: 'work_order.updated',
    entityType: 'work_order',
    entityId: id,
    before: beforeView,
    after: afterView,
  });
  return afterView;
}
