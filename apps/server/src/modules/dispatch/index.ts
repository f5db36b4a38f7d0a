/**
 * Work orders and the dispatch engine (one module: a work order's status follows its dispatches and
 * creating one creates its dispatches, so splitting them would make an import cycle).
 */
export { dispatchRoutes, type DispatchRoutesOptions } from './dispatch.routes.js';
export { matchQueue } from './match-queue.js';
export { sweepTenant } from './sweeper.js';
export { createWorkOrder } from './work-orders.js';
export { advanceDispatch, declineDispatch, recallDispatch, cancelDispatch, dispatchManually } from './lifecycle.js';

import { sql } from 'kysely';
import type { TenantTx } from '../../platform/db/index.js';
import { subscribe } from '../../platform/events.js';
import { matchQueue as match } from './match-queue.js';

// Whenever capacity grows (resource added, freed, back on duty, back from maintenance,
// qualification renewed), match the queue in that same transaction. Registered when the module is
// loaded, so every use of the resource modules alongside dispatch — app, CLI, tests — gets it.
subscribe('capacity.changed', 'dispatch.match-queue', async (tx, caller) => {
  await match(tx, caller);
});

/** Queued dispatches with their queue time and priority (for alerts). */
export async function listQueuedDispatches(tx: TenantTx): Promise<Array<{ id: string; priority: string; queuedAt: Date; equipmentTypeId: string }>> {
  const { rows } = await sql<{ id: string; priority: string; queued_at: Date; equipment_type_id: string }>`
    select id, priority, queued_at, equipment_type_id from dispatches where status = 'queued' order by queued_at`.execute(tx);
  return rows.map((r) => ({ id: r.id, priority: r.priority, queuedAt: r.queued_at, equipmentTypeId: r.equipment_type_id }));
}

// The driver app, proof of completion, attachments and related work orders (routes in their own plugin).
export { driverAppRoutes } from './driver-app.routes.js';
export { readProofSettings } from './proof-settings.js';
