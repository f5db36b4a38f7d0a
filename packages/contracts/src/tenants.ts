import { z } from 'zod';
import { text } from './text.js';
import { TenantSlugSchema } from './common.js';

export const CreateTenantSchema = z.object({
  slug: TenantSlugSchema,
  name: text().trim().min(1).max(200),
  timeZone: text()
    .refine((tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC', 'unknown IANA time zone')
    .default('UTC'),
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
