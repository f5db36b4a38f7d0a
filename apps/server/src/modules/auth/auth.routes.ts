import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ClientConfigSchema, MeSchema, type ClientConfig } from '@yardmaster/contracts';
import { unauthorized } from '../../platform/errors.js';
import { findTenantBySlug, type Database } from '../../platform/db/index.js';

export function authRoutes(database: Database, clientConfig: ClientConfig) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/client-config',
      {
        config: { access: 'public' },
        schema: { tags: ['identity'], summary: 'OIDC settings for the web app to sign in with', response: { 200: ClientConfigSchema } },
      },
      async () => clientConfig,
    );
    r.get(
      '/api/v1/me',
      {
        config: { access: 'authenticated' },
        schema: { tags: ['identity'], summary: 'Who the caller is: tenant and roles', response: { 200: MeSchema } },
      },
      async (request) => {
        const actor = request.actor;
        if (!actor) throw unauthorized('authentication required');
        const tenant = actor.tenant ? await findTenantBySlug(database.db, actor.tenant.slug) : undefined;
        return {
          subject: actor.subject,
          name: actor.name,
          email: actor.email,
          roles: actor.roles,
          isOperator: actor.isOperator,
          tenant: tenant ? { slug: tenant.slug, name: tenant.name, timeZone: tenant.time_zone } : null,
        };
      },
    );
  };
}
