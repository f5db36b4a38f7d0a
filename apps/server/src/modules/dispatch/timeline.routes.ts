import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { JobLengthsSchema, MapStyleSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { readJobLengths } from './job-lengths.js';

const READ = { roles: ['admin', 'dispatcher', 'viewer'] } as const;

/** What the dispatcher's timeline and map need beyond the board. */
export function timelineRoutes(database: Database, map: { styleUrl: string | null }) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/job-lengths',
      {
        config: { access: READ },
        schema: {
          tags: ['dispatch'],
          summary: 'Typical job length per equipment type (mean over 90 days)',
          response: { 200: JobLengthsSchema },
        },
      },
      (request) => inTenant(request, (tx) => readJobLengths(tx)),
    );
    r.get(
      '/api/v1/map-style',
      {
        config: { access: READ },
        schema: {
          tags: ['dispatch'],
          summary: 'The map tile source (MAP_STYLE_URL), or null for the plain built-in style',
          response: { 200: MapStyleSchema },
        },
      },
      () => ({ styleUrl: map.styleUrl }),
    );
  };
}
