/**
 * Work orders and the dispatch engine (one module: a work order's status follows its dispatches and
 * creating one creates its dispatches, so splitting them would make an import cycle).
 */
export { dispatchRoutes, type DispatchRoutesOptions } from './dispatch.routes.js';
export { matchQueue, EVERY_TYPE } from './match-queue.js';
export { sweepTenant } from './sweeper.js';
export { createWorkOrder } from './create-work-order.js';
export { listWorkOrders } from './work-orders.js';
export { timelineRoutes } from './timeline.routes.js';
export { getWorkOrder } from './work-orders.js';
export { advanceDispatch } from './advance-dispatch.js';
export { declineDispatch } from './decline-dispatch.js';
export { recallDispatch } from './recall-dispatch.js';
export { cancelDispatch } from './cancel-dispatch.js';
export { dispatchManually } from './dispatch-manually.js';
export { explainDispatch } from './explain.js';
export { wireDispatchToCapacity, matchAfterCapacityChange } from './match-on-capacity.js';

import { sql } from 'kysely';
import type { TenantTx } from '../../platform/db/index.js';

/** Queued dispatches with their queue time and priority (for alerts). */
export async function listQueuedDispatches(
  tx: TenantTx,
): Promise<Array<{ id: string; priority: string; queuedAt: Date; equipmentTypeId: string }>> {
  const { rows } = await sql<{ id: string; priority: string; queued_at: Date; equipment_type_id: string }>`
    select id, priority, queued_at, equipment_type_id from dispatches where status = 'queued' order by queued_at`.execute(tx);
  return rows.map((r) => ({ id: r.id, priority: r.priority, queuedAt: r.queued_at, equipmentTypeId: r.equipment_type_id }));
}

// The driver app, proof of completion, attachments and related work orders (routes in their own plugin).
export { driverAppRoutes } from './driver-app.routes.js';
export { readProofSettings } from './proof-settings.js';
export { listPersonalDispatches, activeDispatchesOfDriver, pseudonymiseDispatcher, type DispatchPerson } from './personal-data.js';
