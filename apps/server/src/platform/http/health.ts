import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Kysely } from 'kysely';
import { HealthSchema, ReadinessSchema } from '@yardmaster/contracts';

export type ReadinessProbe = { db: Kysely<never>; isMigrated: () => Promise<boolean>; timeoutMs?: number };

/** Readiness answers within this bound even when the database does not (a probe must not hang). */
const READINESS_TIMEOUT_MS = 2_000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * /healthz: the process answers. /readyz: the database answers and nothing is left to migrate —
 * 503 while the database is unreachable, 200 again as soon as it answers (no restart needed).
 */
export function registerHealth(app: FastifyInstance, probe: ReadinessProbe): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/healthz',
    { config: { access: 'public' }, schema: { tags: ['operations'], summary: 'Liveness', response: { 200: HealthSchema } } },
    () => Promise.resolve({ status: 'ok' as const }),
  );
  r.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: { tags: ['operations'], summary: 'Readiness', response: { 200: ReadinessSchema, 503: ReadinessSchema } },
    },
    async (_request, reply) => {
      let database = false;
      let migrations = false;
      const timeoutMs = probe.timeoutMs ?? READINESS_TIMEOUT_MS;
      try {
        await within(timeoutMs, sql`select 1`.execute(probe.db));
        database = true;
        migrations = await within(timeoutMs, probe.isMigrated());
      } catch {
        // reported as not ready below
      }
      const ready = database && migrations;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, migrations } });
    },
  );
}
