import { z } from 'zod';
import { text } from './text.js';
import { RoleSchema } from './common.js';
import { RegionCodesSchema } from './regions.js';

/** A person's membership of a tenant: who (OIDC subject and/or e-mail), roles, active. */
export const MembershipSchema = z.object({
  id: z.uuid(),
  subject: text().nullable(),
  email: text().nullable(),
  name: text(),
  roles: z.array(RoleSchema),
  /** Region codes this person works in (empty: not limited by region). Admins are never limited. */
  regions: z.array(text()),
  active: z.boolean(),
  /** True while an invitation waits for its first sign-in (no subject yet). */
  pending: z.boolean(),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type Membership = z.infer<typeof MembershipSchema>;

/**
 * A single-use link of the embedded identity provider (invitation or password reset), valid 24 h.
 * Returned to the admin who made it (and written to the server log) so it is never lost, even
 * without e-mail; null when an external identity provider owns accounts.
 */
export const InvitationLinkSchema = z.object({ url: text(), expiresAt: text() });
export type InvitationLink = z.infer<typeof InvitationLinkSchema>;

/** The answer to an invitation: the membership and, with the embedded provider, the link to send. */
export const InvitedMemberSchema = MembershipSchema.extend({ invitation: InvitationLinkSchema.nullable() });
export type InvitedMember = z.infer<typeof InvitedMemberSchema>;

const RolesSchema = z.array(RoleSchema).min(1, 'give at least one role').max(4);

/** Invite someone by e-mail (bound to their subject at first sign-in) or by subject directly. */
export const InviteMemberSchema = z
  .object({
    email: z.email().max(320).optional(),
    subject: text().min(1).max(255).optional(),
    name: text().trim().max(200).default(''),
    roles: RolesSchema,
    regions: RegionCodesSchema.default([]),
  })
  .refine((v) => v.email !== undefined || v.subject !== undefined, { message: 'give an e-mail or a subject', path: ['email'] });
export type InviteMember = z.infer<typeof InviteMemberSchema>;

export const UpdateMemberSchema = z
  .object({
    name: text().trim().max(200).optional(),
    roles: RolesSchema.optional(),
    active: z.boolean().optional(),
    regions: RegionCodesSchema.optional(),
  })
  .refine((v) => v.name !== undefined || v.roles !== undefined || v.active !== undefined || v.regions !== undefined, {
    message: 'nothing to change',
  });
export type UpdateMember = z.infer<typeof UpdateMemberSchema>;

export const MemberParamsSchema = z.object({ id: z.uuid() });

export const ListMembersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: text().max(500).optional(),
  active: z.enum(['true', 'false']).optional(),
});
