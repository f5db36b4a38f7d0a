import { z } from 'zod';
import { text } from './text.js';
import { TenantSlugSchema } from './common.js';
import { InvitationLinkSchema } from './users.js';

export const CreateTenantSchema = z.object({
  slug: TenantSlugSchema,
  name: text().trim().min(1).max(200),
  timeZone: text()
    .refine((tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC', 'unknown IANA time zone')
    .default('UTC'),
  /** The tenant's first admin: invited with the `admin` role in the same request. */
  adminEmail: z.email().max(320).optional(),
  adminName: text().trim().max(200).optional(),
});
export type CreateTenant = z.infer<typeof CreateTenantSchema>;

export const TenantSchema = z.object({
  id: z.uuid(),
  slug: TenantSlugSchema,
  name: text(),
  timeZone: text(),
  createdAt: text(),
});
export type Tenant = z.infer<typeof TenantSchema>;

/** A new tenant and, when an admin was named, the invitation link for that admin. */
export const CreatedTenantSchema = TenantSchema.extend({ invitation: InvitationLinkSchema.nullable() });
export type CreatedTenant = z.infer<typeof CreatedTenantSchema>;
