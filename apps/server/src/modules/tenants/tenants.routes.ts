import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CreatedTenantSchema, CreateTenantSchema, TenantSchema } from '@yardmaster/contracts';
import { listTenants, type Database } from '../../platform/db/index.js';
import { operatorCallerOf } from '../../platform/http/access.js';
import type { MemberInvitations } from '../users/index.js';
import { createTenant, tenantView } from './tenants.service.js';

/** Platform operator routes: tenants are created here, then configured by their own admins. */
export function tenantsRoutes(database: Database, options: { invitations?: MemberInvitations } = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/v1/platform/tenants',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['platform'],
          summary: 'Create a tenant (and invite its first admin)',
          description:
            'With `adminEmail`, the first admin is invited with the `admin` role; with the embedded identity provider the answer carries ' +
            '`invitation: { url, expiresAt }`, a single-use 24-hour link to set a password (also e-mailed when SMTP is configured).',
          body: CreateTenantSchema,
          response: { 201: CreatedTenantSchema },
        },
      },
      async (request, reply) =>
        reply.status(201).send(
          await createTenant(database, request.body, {
            invitations: options.invitations,
            caller: (slug) => operatorCallerOf(request, slug),
          }),
        ),
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
