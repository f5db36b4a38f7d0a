import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { SearchQuerySchema, SearchResultSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { searchEverything } from './search.service.js';

/** Those who read the board and the resources; drivers have their own view. */
const READ = { roles: ['admin', 'dispatcher', 'viewer'] } as const;

export function searchRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/search',
      {
        config: { access: READ },
        schema: {
          tags: ['search'],
          summary: 'Search work orders (number, description, site), sites, equipment and drivers',
          querystring: SearchQuerySchema,
          response: { 200: SearchResultSchema },
        },
      },
      (request) => inTenant(request, (tx, caller) => searchEverything(tx, caller, request.query)),
    );
  };
}
