import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  InvitedMemberSchema,
  InviteMemberSchema,
  ListMembersQuerySchema,
  MemberParamsSchema,
  MembershipSchema,
  pageOf,
  UpdateMemberSchema,
} from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { expectedVersion } from '../../platform/http/versioning.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { getMember, inviteMember, listMembers, updateMember, type MemberAccounts, type MemberInvitations } from './users.service.js';

export type UsersRoutesOptions = { invitations?: MemberInvitations; accounts?: MemberAccounts };

/** Tenant administration of people: memberships (subject/e-mail → roles, active). Admins only. */
export function usersRoutes(database: Database, options: UsersRoutesOptions = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.get(
      '/api/v1/users',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['users'],
          summary: "List the tenant's members",
          querystring: ListMembersQuerySchema,
          response: { 200: pageOf(MembershipSchema) },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        return inTenant(request, (tx) => listMembers(tx, caller, request.query));
      },
    );
    r.get(
      '/api/v1/users/:id',
      {
        config: { access: { roles: ['admin'] } },
        schema: { tags: ['users'], summary: 'One member', params: MemberParamsSchema, response: { 200: MembershipSchema } },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const member = await inTenant(request, (tx) => getMember(tx, caller, request.params.id));
        return reply.header('etag', `"${member.version}"`).send(member);
      },
    );
    r.post(
      '/api/v1/users',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['users'],
          summary: 'Invite someone (by e-mail, bound at first sign-in, or by OIDC subject) with roles',
          description:
            'With the embedded identity provider, an e-mail invitation creates the account and a single-use link (24 h) to set a password, ' +
            'returned as `invitation` (and e-mailed when SMTP is configured). Inviting a pending e-mail again answers 200 with a new link and revokes the previous one.',
          body: InviteMemberSchema,
          response: { 200: InvitedMemberSchema, 201: InvitedMemberSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { member, reinvited } = await inTenant(request, (tx) => inviteMember(tx, caller, request.body, options.invitations));
        return reply
          .status(reinvited ? 200 : 201)
          .header('etag', `"${member.version}"`)
          .header('location', `/api/v1/users/${member.id}`)
          .send(member);
      },
    );
    r.patch(
      '/api/v1/users/:id',
      {
        config: { access: { roles: ['admin'] } },
        schema: {
          tags: ['users'],
          summary: "Change a member's name or roles, deactivate or reactivate (If-Match required)",
          params: MemberParamsSchema,
          body: UpdateMemberSchema,
          response: { 200: MembershipSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const version = expectedVersion(request);
        const member = await inTenant(request, (tx) =>
          updateMember(tx, caller, { id: request.params.id, version, changes: request.body }, options.accounts),
        );
        return reply.header('etag', `"${member.version}"`).send(member);
      },
    );
  };
}
