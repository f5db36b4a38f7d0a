import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FieldErrorSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { exportCsv, importCsv } from './imports.service.js';

const KindSchema = z.object({ kind: z.enum(['equipment', 'drivers', 'sites']) });
const ReportSchema = z.object({
  kind: z.enum(['equipment', 'drivers', 'sites']),
  dryRun: z.boolean(),
  rows: z.number().int(),
  valid: z.number().int(),
  created: z.number().int(),
  errors: z.array(FieldErrorSchema),
});

/** CSV onboarding: `POST /imports/{kind}?dryRun=true` reports every bad row; without dryRun it is all or nothing. */
export function importsRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: 15 * 1024 * 1024 }, (_request, body, done) =>
      done(null, body),
    );
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.post(
      '/api/v1/imports/:kind',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['imports'],
          summary: 'Import equipment, drivers (qualifications as CODE:YYYY-MM-DD;CODE) or sites from CSV',
          params: KindSchema,
          querystring: z.object({
            dryRun: z
              .enum(['true', 'false'])
              .default('false')
              .transform((v) => v === 'true'),
          }),
          body: z.string().max(15 * 1024 * 1024),
          response: { 200: ReportSchema },
        },
      },
      (request) => {
        const caller = callerOf(request);
        return inTenant(request, (tx) => importCsv(tx, caller, request.params.kind, request.body, request.query.dryRun));
      },
    );
    r.get(
      '/api/v1/exports/:kind',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'viewer'] } },
        schema: { tags: ['imports'], summary: 'Export equipment, drivers or sites as CSV (the import format)', params: KindSchema },
      },
      async (request, reply) => {
        const csv = await inTenant(request, (tx, caller) => exportCsv(tx, caller, request.params.kind));
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${request.params.kind}.csv"`)
          .send(csv);
      },
    );
  };
}
