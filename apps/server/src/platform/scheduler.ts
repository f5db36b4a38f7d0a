import type { Kysely } from 'kysely';
import { listTenants } from './db/tenancy.js';
import type { ControlTables } from './db/tables.js';

/** A logger as background work needs it (pino's, Fastify's `app.log`). */
export type SchedulerLog = { warn: (obj: Record<string, unknown>, msg: string) => void };

export type ScheduleOptions = {
  /** Run the first tick at once (default) instead of after the first interval. */
  runNow?: boolean;
};

/**
 * The one way to run periodic background work (the dispatch sweeper, alerts, webhook polling, the
 * live-event poll and purge, web push, rate-limit housekeeping, the stream registry's heartbeat,
 * the read router's replica poll): a tick at most every `intervalMs`, never two of the same job at
 * once, the timer unref'd so it never keeps the process alive, and every failure logged with the
 * job's name — no silent catch. A failed tick is simply tried again at the next one. Returns
 * `stop`: no tick starts after it (one already running finishes).
 */
export function schedule(
  name: string,
  intervalMs: number,
  log: SchedulerLog,
  tick: () => Promise<void> | void,
  options: ScheduleOptions = {},
): () => void {
  let running = false;
  let stopped = false;
  const run = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      await tick();
    } catch (error) {
      log.warn({ err: error, job: name }, `${name} failed (tried again at the next tick)`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  if (options.runNow ?? true) void run();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/**
 * Runs `fn` for every tenant, one after the other. One tenant's failure is logged (with the job
 * and the tenant) and does not stop the others; the job's next tick tries that tenant again.
 */
export async function forEachTenant(
  db: Kysely<ControlTables>,
  name: string,
  log: SchedulerLog,
  fn: (slug: string) => Promise<unknown>,
): Promise<void> {
  for (const tenant of await listTenants(db)) {
    try {
      await fn(tenant.slug);
    } catch (error) {
      log.warn({ err: error, job: name, tenant: tenant.slug }, `${name} failed for a tenant (tried again at the next tick)`);
    }
  }
}
