import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { MemberParamsSchema, MembershipSchema } from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { forceSignOutMember, revokeInvitation } from './member-accounts.js';
import type { MemberAccounts } from './users.service.js';

/**
 * A tenant admin's actions on a member's account in the embedded identity provider: force
 * sign-out and revoking a pending invitation. (Deactivating and reactivating is `PATCH
 * /api/v1/users/:id` with `active`, which ends the account's sessions too.)
 */
export function memberAccountsRoutes(database: Database, accounts: MemberAccounts) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.post(
      '/api/v1/users/:id/sign-out',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['users'],
          summary: 'Sign a member out of every session (their sessions, refresh and access tokens end at once)',
          params: MemberParamsSchema,
        },
      },
      async (request, reply) => {
        await inTenant(request, (tx, caller) => forceSignOutMember(tx, caller, request.params.id, accounts));
        return reply.status(204).send();
      },
    );
    r.post(
      '/api/v1/users/:id/revoke-invitation',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['users'],
          summary: 'Revoke a pending invitation: its link stops working and the membership is deactivated',
          params: MemberParamsSchema,
          response: { 200: MembershipSchema },
        },
      },
      async (request, reply) => {
        const member = await inTenant(request, (tx, caller) => revokeInvitation(tx, caller, request.params.id, accounts));
        return reply.header('etag', `"${member.version}"`).send(member);
      },
    );
  };
}
