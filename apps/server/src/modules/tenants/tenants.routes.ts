import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CreateTenantSchema, TenantSchema } from '@yardmaster/contracts';
import { listTenants, type Database } from '../../platform/db/index.js';
import { createTenant, tenantView } from './tenants.service.js';

/** Platform operator routes: tenants are created here, then configured by their own admins. */
export function tenantsRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/v1/platform/tenants',
      {
        config: { access: 'operator' },
        schema: { tags: ['platform'], summary: 'Create a tenant', body: CreateTenantSchema, response: { 201: TenantSchema } },
      },
      async (request, reply) => reply.status(201).send(await createTenant(database, request.body)),
    );
    r.get(
      '/api/v1/platform/tenants',
      {
        config: { access: 'operator' },
        schema: { tags: ['platform'], summary: 'List tenants', response: { 200: z.object({ items: z.array(TenantSchema) }) } },
      },
      async () => ({ items: (await listTenants(database.db)).map(tenantView) }),
    );
  };
}
