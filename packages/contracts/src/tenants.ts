import { z } from 'zod';
import { TenantSlugSchema } from './common.js';

export const CreateTenantSchema = z.object({
  slug: TenantSlugSchema,
  name: z.string().trim().min(1).max(200),
  timeZone: z
    .string()
    .refine((tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC', 'unknown IANA time zone')
    .default('UTC'),
});
export type CreateTenant = z.infer<typeof CreateTenantSchema>;

export const TenantSchema = z.object({
  id: z.uuid(),
  slug: TenantSlugSchema,
  name: z.string(),
  timeZone: z.string(),
  createdAt: z.string(),
});
export type Tenant = z.infer<typeof TenantSchema>;
