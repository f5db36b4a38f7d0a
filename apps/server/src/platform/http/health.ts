import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql, type Kysely } from 'kysely';
import { HealthSchema, ReadinessSchema } from '@yardmaster/contracts';

export type ReadinessProbe = { db: Kysely<never>; isMigrated: () => Promise<boolean> };

/** /healthz: the process answers. /readyz: the database answers and nothing is left to migrate. */
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
      try {
        await sql`select 1`.execute(probe.db);
        database = true;
        migrations = await probe.isMigrated();
      } catch {
        // reported as not ready below
      }
      const ready = database && migrations;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, migrations } });
    },
  );
}
