import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErasePersonSchema, ErasureResultSchema, MemberParamsSchema, PersonalDataExportSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { erasePerson, exportPersonalData } from './privacy.service.js';

/** Personal data of one member (GDPR): export as a JSON download, and erasure. Tenant admins only. */
export function privacyRoutes(database: Database) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/users/:id/personal-data',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['users'],
          summary: 'Export everything held about one person (JSON download)',
          description:
            'Membership, embedded-provider account, driver record, the dispatches they drove or assigned, and the audit events they performed. Audited as `person.exported`.',
          params: MemberParamsSchema,
          response: { 200: PersonalDataExportSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const data = await inTenant(request, (tx) => exportPersonalData(tx, caller, request.params.id));
        return reply
          .header('content-disposition', `attachment; filename="personal-data-${request.params.id}.json"`)
          .header('cache-control', 'no-store')
          .send(data);
      },
    );
    r.post(
      '/api/v1/users/:id/erasure',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['users'],
          summary: 'Erase a person: deactivate them and replace their name and e-mail with a pseudonym',
          description:
            '`confirm` must repeat the person’s e-mail address (or their name when they have none). The audit chain still verifies afterwards (decision 0012). ' +
            'Refused (409) for oneself, for a person already erased, and while the person drives an active dispatch.',
          params: MemberParamsSchema,
          body: ErasePersonSchema,
          response: { 200: ErasureResultSchema },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        return inTenant(request, (tx) => erasePerson(tx, caller, request.params.id, request.body));
      },
    );
  };
}
