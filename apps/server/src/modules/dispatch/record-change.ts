import { sql, type UpdateObject } from 'kysely';
import { workOrderStatusOf, type DispatchStatus, type WorkOrderStatus } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { beforeCommit, type TenantTables, type TenantTx } from '../../platform/db/index.js';
import { recordAudit } from '../audit/index.js';
import { publishEvent } from '../notifications/index.js';
import { setWorkOrderStatus, updateDispatch, type ChangedDispatch, type LoadedDispatch } from './dispatch.repo.js';
import { dispatchView } from './views.js';

/** Publishes a dispatch's state to the board (and to its driver and any other drivers named). */
export async function announceDispatch(
  tx: TenantTx,
  type: string,
  row: LoadedDispatch,
  extraDriverIds: readonly string[] = [],
): Promise<void> {
  const driverIds = [...new Set([row.driver_id, ...extraDriverIds].filter((id): id is string => id !== null))];
  await publishEvent(tx, { type, entityType: 'dispatch', entityId: row.id, data: { dispatch: dispatchView(row) }, driverIds });
}

/** Work-order statuses a transaction has derived and not yet written: one statement at its end. */
const pendingStatuses = new WeakMap<TenantTx, Map<string, WorkOrderStatus>>();

/**
 * A work order's status follows its dispatches (the rule lives in the contracts' state machine).
 * Written with the transaction's final write (`work_order_set_statuses`, one part of the one
 * statement before COMMIT), so a status change costs no round trip of its own; nothing in a
 * dispatch transaction reads the stored status back except this (which sees the pending value).
 */
export async function followWorkOrderStatus(
  tx: TenantTx,
  changed: ChangedDispatch,
  alsoCounts: readonly DispatchStatus[] = [],
): Promise<void> {
  const status = workOrderStatusOf([...changed.sibling_statuses, changed.status, ...alsoCounts]);
  const pending = pendingStatuses.get(tx);
  if (status === (pending?.get(changed.work_order_id) ?? changed.work_order_status)) return;
  if (pending) {
    pending.set(changed.work_order_id, status);
    return;
  }
  const fresh = new Map([[changed.work_order_id, status]]);
  const write = (statuses: Map<string, WorkOrderStatus>) => ({
    sql: sql`work_order_set_statuses(${JSON.stringify(Object.fromEntries(statuses))}::jsonb)`,
  });
  // Before the live events (50) and the audit chain (100): work-order rows are locked after the queue lock and before those.
  const registered = beforeCommit(tx, 'dispatch.work_order_status', 10, () => {
    const statuses = pendingStatuses.get(tx) ?? new Map<string, WorkOrderStatus>();
    pendingStatuses.delete(tx);
    return statuses.size === 0 ? null : write(statuses);
  });
  if (registered) pendingStatuses.set(tx, fresh);
  else await setWorkOrderStatus(tx, changed.work_order_id, status);
}

/**
 * One transition of one dispatch (`alsoCounts`: statuses of dispatches the use case is about to
 * add to the work order, e.g. a recall's replacement): the row (version + 1), its audit event, its live event and its
 * work order's status. The audit and live events are buffered and written at the end of the
 * transaction, one statement each, so this costs one or two round trips.
 */
export async function changeDispatch(
  tx: TenantTx,
  caller: Caller,
  beforeOrId: LoadedDispatch | { id: string; beforeOf: (after: ChangedDispatch) => LoadedDispatch },
  changes: UpdateObject<TenantTables, 'dispatches', 'dispatches'>,
  action: string,
  options: { extraDriverIds?: readonly string[]; alsoCounts?: readonly DispatchStatus[] } = {},
): Promise<ChangedDispatch> {
  const after = await updateDispatch(tx, beforeOrId.id, changes);
  const before = 'beforeOf' in beforeOrId ? beforeOrId.beforeOf(after) : beforeOrId;
  await recordAudit(tx, caller, {
    action,
    entityType: 'dispatch',
    entityId: before.id,
    before: dispatchView(before),
    after: dispatchView(after),
  });
  await announceDispatch(tx, action, after, options.extraDriverIds);
  await followWorkOrderStatus(tx, after, options.alsoCounts);
  return after;
}

/** What an assigned dispatch looked like in the queue a moment ago (the queue lock kept everything else). */
export function queuedBefore(after: ChangedDispatch): LoadedDispatch {
  return {
    ...after,
    status: 'queued',
    equipment_id: null,
    driver_id: null,
    dispatched_at: null,
    assigned_by_kind: null,
    assigned_by_subject: null,
    assigned_by_name: null,
    version: after.version - 1,
  };
}
