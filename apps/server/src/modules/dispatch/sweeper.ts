import type { FastifyBaseLogger } from 'fastify';
import { systemCaller } from '../../platform/caller.js';
import { listTenants, withTenant, type Database } from '../../platform/db/index.js';
import { promoteDueScheduled } from './lifecycle.js';
import { matchQueue } from './match-queue.js';
import { readDispatchSettings } from './settings.js';

/**
 * The durable timer and safety net: every tick, for every tenant, scheduled dispatches whose start
 * (minus the lead time) has come enter the queue, and the queue is matched. The state lives in
 * the database (`requested_start`, `status`), so a restart loses nothing; matching on events is
 * the normal path, this only catches what no event triggered.
 */
export async function sweepTenant(database: Database, slug: string): Promise<{ promoted: number; assigned: number }> {
  return withTenant(database.db, slug, async (tx) => {
    const caller = systemCaller(slug);
    const settings = await readDispatchSettings(tx);
    const promoted = await promoteDueScheduled(tx, caller, settings.scheduleLeadMinutes);
    const assigned = await matchQueue(tx, caller);
    return { promoted, assigned };
  });
}

export function startSweeper(database: Database, log: FastifyBaseLogger, intervalMs: number): () => void {
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (const tenant of await listTenants(database.db)) {
        try {
          await sweepTenant(database, tenant.slug);
        } catch (error) {
          log.warn({ err: error, tenant: tenant.slug }, 'dispatch sweep failed');
        }
      }
    } catch (error) {
      log.warn({ err: error }, 'dispatch sweep could not list tenants');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
