/** A logger as the scheduler needs it (pino's, Fastify's). */
export type SchedulerLog = { warn: (obj: Record<string, unknown>, msg: string) => void };

/**
 * The one way to run periodic background work (the dispatch sweeper, alerts, webhook delivery,
 * the live-event purge): a tick at most every `intervalMs`, never two of the same job at once, the
 * timer unref'd so it never keeps the process alive, and every failure logged with the job's name
 * — no silent catch. Returns `stop`.
 */
export function schedule(name: string, intervalMs: number, log: SchedulerLog, tick: () => Promise<void>, options: { runNow?: boolean } = {}): () => void {
  let running = false;
  const run = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      await tick();
    } catch (error) {
      log.warn({ err: error, job: name }, `${name} failed`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  if (options.runNow ?? true) void run();
  return () => clearInterval(timer);
}
