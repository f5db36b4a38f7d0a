import { systemCaller } from '../../platform/caller.js';
import { withTenant, type Database } from '../../platform/db/index.js';
import { forEachTenant, schedule, type SchedulerLog } from '../../platform/scheduler.js';
import { lockDispatchQueue } from './dispatch.repo.js';
import { EVERY_TYPE, matchQueue } from './match-queue.js';
import { promoteDueScheduled } from './promote-scheduled.js';

/**
 * The durable timer and safety net, for one tenant: scheduled dispatches whose start (minus the
 * lead time) has come enter the queue, and the queue is matched. The state lives in the database
 * (`requested_start`, `status`), so a restart loses nothing; matching on events is the normal
 * path, this only catches what no event triggered (or what a failed after-commit match missed).
 */
export async function sweepTenant(database: Database, slug: string): Promise<{ promoted: number; assigned: number }> {
  return withTenant(database.db, slug, async (tx) => {
    const caller = systemCaller(slug);
    const settings = await lockDispatchQueue(tx);
    const promoted = await promoteDueScheduled(tx, caller, settings);
    const assigned = (await matchQueue(tx, caller, settings, EVERY_TYPE)).length;
    return { promoted, assigned };
  });
}

/** Sweeps every tenant each `intervalMs` (one tenant's failure is logged and does not stop the others). */
export function startSweeper(database: Database, log: SchedulerLog, intervalMs: number): () => void {
  return schedule('dispatch sweep', intervalMs, log, () =>
    forEachTenant(database.db, 'dispatch sweep', log, (slug) => sweepTenant(database, slug)),
  );
}
