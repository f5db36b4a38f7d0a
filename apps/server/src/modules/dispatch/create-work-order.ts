import { workOrderStatusOf, type CreateWorkOrder, type DispatchSettings, type WorkOrder } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { recordAuditBatch } from '../audit/index.js';
import { checkWorkOrderReferences, insertWorkOrderWithLines } from './dispatch.repo.js';
import { unserviceable } from './dispatch.errors.js';
import { EVERY_TYPE, matchQueue } from './match-queue.js';
import { announceDispatch } from './record-change.js';
import { dispatchView } from './views.js';
import { workOrderView } from './work-orders.js';
import { assertMayActAtSite } from './dispatch.policy.js';

/** Validates every reference of a new work order (all problems at once, nothing kept) and takes the queue lock, in one round trip. */
async function checkWorkOrder(tx: TenantTx, input: CreateWorkOrder): Promise<{ lastNumber: number; settings: DispatchSettings }> {
  const errors: Array<{ field: string; message: string }> = [];
  const checked = await checkWorkOrderReferences(tx, input.siteId, input.lines);
  if (!checked.siteActive) errors.push({ field: 'siteId', message: 'unknown or inactive site' });
  for (const [i, line] of input.lines.entries()) {
    const c = checked.lines[i];
    if (!c?.type_usable) {
      errors.push({ field: `lines.${i}.equipmentTypeId`, message: 'unknown equipment type' });
      continue;
    }
    if (Number(c.usable_units) === 0) {
      errors.push({
        field: `lines.${i}.equipmentTypeId`,
        message: `the fleet has no ${c.type_code ?? ''} equipment at all; the request could never be served`,
      });
    }
    if (line.equipmentId) {
      if (c.equipment_tag === null || c.equipment_retired)
        errors.push({ field: `lines.${i}.equipmentId`, message: 'unknown or retired equipment' });
      else if (c.equipment_type_id !== line.equipmentTypeId)
        errors.push({ field: `lines.${i}.equipmentId`, message: `equipment ${c.equipment_tag} is not a ${c.type_code ?? ''}` });
    }
  }
  if (errors.length > 0) throw unserviceable(errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  return { lastNumber: checked.lastNumber, settings: checked.settings };
}

/**
 * Creates a work order and one dispatch per requested unit; each is matched at once, queued, or
 * scheduled when its start lies beyond the tenant's lead time. All or nothing. Every dispatch gets
 * its own audit event from birth (`dispatch.queued` / `dispatch.scheduled`), so it is found in its
 * own history, not only in its work order's.
 */
export async function createWorkOrder(tx: TenantTx, caller: Caller, input: CreateWorkOrder, now = new Date()): Promise<WorkOrder> {
  const { lastNumber, settings } = await checkWorkOrder(tx, input);
  await assertMayActAtSite(tx, caller, input.siteId, 'the site');
  const requestedStart = input.requestedStart ? new Date(input.requestedStart) : now;
  const isScheduled = requestedStart.getTime() - settings.scheduleLeadMinutes * 60_000 > now.getTime();
  const { workOrder, lines, dispatches } = await insertWorkOrderWithLines(
    tx,
    {
      number: `WO-${now.getUTCFullYear()}-${String(lastNumber).padStart(6, '0')}`,
      siteId: input.siteId,
      description: input.description,
      priority: input.priority,
      requestedStart,
      dueAt: input.dueAt ? new Date(input.dueAt) : null,
      notes: input.notes ?? null,
      createdBySubject: caller.subject,
      createdByName: caller.name,
    },
    input.lines,
    isScheduled,
  );
  const inserted = dispatches.map((d) => ({ ...d, work_order_number: workOrder.number }));
  const view = workOrderView(
    workOrder,
    lines,
    inserted.map((d) => d.id),
  );
  const action = isScheduled ? 'dispatch.scheduled' : 'dispatch.queued';
  await recordAuditBatch(tx, caller, [
    { action: 'work_order.created', entityType: 'work_order', entityId: workOrder.id, after: view },
    ...inserted.map((d) => ({ action, entityType: 'dispatch', entityId: d.id, after: dispatchView(d) })),
  ]);
  for (const d of inserted) await announceDispatch(tx, action, d);
  if (isScheduled) return view;
  // The whole queue, not only the new types: an older request of another type may compete for the
  // same drivers, and it must be served first (cheap: only requests that can move are read).
  const assigned = await matchQueue(tx, caller, settings, EVERY_TYPE);
  // Each assignment already moved the stored status; derive it here only to return it.
  const statusById = new Map(inserted.map((d) => [d.id, d.status]));
  for (const a of assigned) if (statusById.has(a.id)) statusById.set(a.id, a.status);
  return { ...view, status: workOrderStatusOf([...statusById.values()]) };
}
