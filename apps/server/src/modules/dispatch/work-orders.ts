import { sql } from 'kysely';
import type { CreateWorkOrder, UpdateWorkOrder, WorkOrder } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { containsPattern, decodeCursor, pageFrom, type TenantTx } from '../../platform/db/index.js';
import { notFound, staleVersion, unprocessable } from '../../platform/errors.js';
import { holdAuditChain, recordAudit } from '../audit/index.js';
import { countEquipmentOfType, findEquipment, findEquipmentType } from '../fleet/index.js';
import { findSite } from '../sites/index.js';
import { announceDispatch, loadDispatch } from './assign.js';
import { matchQueue } from './match-queue.js';
import { readDispatchSettings } from './settings.js';

type WorkOrderRow = Awaited<ReturnType<typeof selectWorkOrder>> & object;

async function selectWorkOrder(tx: TenantTx, id: string) {
  return tx.selectFrom('work_orders').selectAll().where('id', '=', id).executeTakeFirst();
}

async function workOrderView(tx: TenantTx, row: WorkOrderRow): Promise<WorkOrder> {
  const lines = await tx.selectFrom('work_order_lines').selectAll().where('work_order_id', '=', row.id).orderBy('line_no').execute();
  const dispatches = await tx.selectFrom('dispatches').select('id').where('work_order_id', '=', row.id).orderBy('created_at').orderBy('id').execute();
  return {
    id: row.id,
    number: row.number,
    siteId: row.site_id,
    description: row.description,
    priority: row.priority,
    requestedStart: row.requested_start.toISOString(),
    dueAt: row.due_at?.toISOString() ?? null,
    notes: row.notes,
    status: row.status,
    lines: lines.map((l) => ({ id: l.id, lineNo: l.line_no, equipmentTypeId: l.equipment_type_id, quantity: l.quantity, equipmentId: l.equipment_id })),
    dispatchIds: dispatches.map((d) => d.id),
    createdBy: { subject: row.created_by_subject, name: row.created_by_name },
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Validates every reference of a new work order; all problems at once, nothing written. */
async function checkWorkOrder(tx: TenantTx, input: CreateWorkOrder): Promise<void> {
  const errors: Array<{ field: string; message: string }> = [];
  const site = await findSite(tx, input.siteId);
  if (!site || !site.active) errors.push({ field: 'siteId', message: 'unknown or inactive site' });
  for (const [i, line] of input.lines.entries()) {
    const type = await findEquipmentType(tx, line.equipmentTypeId);
    if (!type || type.archived_at) {
      errors.push({ field: `lines.${i}.equipmentTypeId`, message: 'unknown equipment type' });
      continue;
    }
    if ((await countEquipmentOfType(tx, line.equipmentTypeId)) === 0) {
      errors.push({ field: `lines.${i}.equipmentTypeId`, message: `the fleet has no ${type.code} equipment at all; the request could never be served` });
    }
    if (line.equipmentId) {
      const equipment = await findEquipment(tx, line.equipmentId);
      if (!equipment || equipment.status === 'retired') errors.push({ field: `lines.${i}.equipmentId`, message: 'unknown or retired equipment' });
      else if (equipment.equipment_type_id !== line.equipmentTypeId) errors.push({ field: `lines.${i}.equipmentId`, message: `equipment ${equipment.asset_tag} is not a ${type.code}` });
    }
  }
  if (errors.length > 0) throw unprocessable('unserviceable-request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}

async function nextWorkOrderNumber(tx: TenantTx, at: Date): Promise<string> {
  const { last_number } = await tx
    .updateTable('work_order_counter')
    .set((eb) => ({ last_number: eb('last_number', '+', 1) }))
    .returning('last_number')
    .executeTakeFirstOrThrow();
  return `WO-${at.getUTCFullYear()}-${String(last_number).padStart(6, '0')}`;
}

/**
 * Creates a work order and one dispatch per requested unit; each is matched at once, queued, or
 * scheduled when its start lies beyond the tenant's lead time. All or nothing.
 */
export async function createWorkOrder(tx: TenantTx, caller: Caller, input: CreateWorkOrder, now = new Date()): Promise<WorkOrder> {
  await checkWorkOrder(tx, input);
  await holdAuditChain(tx);
  const settings = await readDispatchSettings(tx);
  const requestedStart = input.requestedStart ? new Date(input.requestedStart) : now;
  const isScheduled = requestedStart.getTime() - settings.scheduleLeadMinutes * 60_000 > now.getTime();
  const workOrder = await tx
    .insertInto('work_orders')
    .values({
      number: await nextWorkOrderNumber(tx, now),
      site_id: input.siteId,
      description: input.description,
      priority: input.priority,
      requested_start: requestedStart,
      due_at: input.dueAt ? new Date(input.dueAt) : null,
      notes: input.notes ?? null,
      created_by_subject: caller.subject,
      created_by_name: caller.name,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const [i, line] of input.lines.entries()) {
    const lineRow = await tx
      .insertInto('work_order_lines')
      .values({ work_order_id: workOrder.id, line_no: i + 1, equipment_type_id: line.equipmentTypeId, quantity: line.quantity, equipment_id: line.equipmentId ?? null })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (let unit = 0; unit < line.quantity; unit++) {
      await insertDispatch(tx, {
        workOrderId: workOrder.id,
        lineId: lineRow.id,
        equipmentTypeId: line.equipmentTypeId,
        requestedEquipmentId: line.equipmentId ?? null,
        siteId: input.siteId,
        priority: input.priority,
        requestedStart,
        scheduled: isScheduled,
      });
    }
  }
  const view = await workOrderView(tx, workOrder);
  await recordAudit(tx, caller, { action: 'work_order.created', entityType: 'work_order', entityId: workOrder.id, after: view });
  for (const id of view.dispatchIds) {
    const row = await loadDispatch(tx, id);
    if (row) await announceDispatch(tx, row.status === 'scheduled' ? 'dispatch.scheduled' : 'dispatch.queued', row);
  }
  if (!isScheduled) await matchQueue(tx, caller);
  const after = await selectWorkOrder(tx, workOrder.id);
  return workOrderView(tx, after ?? workOrder);
}

export async function insertDispatch(
  tx: TenantTx,
  d: {
    workOrderId: string;
    lineId: string;
    equipmentTypeId: string;
    requestedEquipmentId: string | null;
    siteId: string;
    priority: 'urgent' | 'standard' | 'low';
    requestedStart: Date;
    scheduled: boolean;
    replaces?: string;
  },
): Promise<string> {
  const row = await tx
    .insertInto('dispatches')
    .values({
      work_order_id: d.workOrderId,
      line_id: d.lineId,
      equipment_type_id: d.equipmentTypeId,
      requested_equipment_id: d.requestedEquipmentId,
      site_id: d.siteId,
      priority: d.priority,
      status: d.scheduled ? 'scheduled' : 'queued',
      requested_start: d.requestedStart,
      queued_at: d.scheduled ? null : sql<Date>`clock_timestamp()`,
      queue_seq: d.scheduled ? null : sql<number>`nextval('dispatch_queue_seq')`,
      replaces_dispatch_id: d.replaces ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function getWorkOrder(tx: TenantTx, id: string): Promise<WorkOrder> {
  const row = await selectWorkOrder(tx, id);
  if (!row) throw notFound('work order', id);
  return workOrderView(tx, row);
}

export async function listWorkOrders(tx: TenantTx, query: { limit: number; cursor?: string; status?: WorkOrder['status']; siteId?: string; q?: string }) {
  const after = decodeCursor(query.cursor);
  let q = tx.selectFrom('work_orders').selectAll();
  if (query.status) q = q.where('status', '=', query.status);
  if (query.siteId) q = q.where('site_id', '=', query.siteId);
  if (query.q) {
    const pattern = containsPattern(query.q);
    q = q.where((eb) => eb.or([eb('number', 'ilike', pattern), eb('description', 'ilike', pattern)]));
  }
  if (after) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(new Date(String(after.k)), after.id)));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  const page = pageFrom(rows, query.limit, (r) => ({ k: r.created_at.toISOString(), id: r.id }));
  return { items: await Promise.all(page.items.map((r) => workOrderView(tx, r))), nextCursor: page.nextCursor };
}

/** Edits what describes a work order (not its lines: those are dispatched); If-Match version. */
export async function updateWorkOrder(tx: TenantTx, caller: Caller, id: string, expected: number, input: UpdateWorkOrder): Promise<WorkOrder> {
  const before = await tx.selectFrom('work_orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!before) throw notFound('work order', id);
  if (before.version !== expected) throw staleVersion('work order', id);
  const dueAt = input.dueAt === undefined ? before.due_at : input.dueAt === null ? null : new Date(input.dueAt);
  if (dueAt && dueAt < before.requested_start) throw unprocessable('validation', 'the due time must not be before the requested start', [{ field: 'dueAt', message: 'before the requested start' }]);
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
  const view = await workOrderView(tx, after);
  await recordAudit(tx, caller, { action: 'work_order.updated', entityType: 'work_order', entityId: id, before: await workOrderView(tx, before), after: view });
  return view;
}
