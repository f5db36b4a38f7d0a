import { z } from 'zod';
import { hasNoNul, NUL_MESSAGE, text } from './text.js';

export const ClientConfigSchema = z.object({
  issuer: text(),
  clientId: text(),
  audience: text(),
  scopes: text(),
});
export type ClientConfig = z.infer<typeof ClientConfigSchema>;

export const MeSchema = z.object({
  subject: text(),
  name: text(),
  email: text().nullable(),
  roles: z.array(z.enum(['admin', 'dispatcher', 'driver', 'viewer'])),
  isOperator: z.boolean(),
  tenant: z.object({ slug: text(), name: text(), timeZone: text() }).nullable(),
  /** Region codes the caller works in; null: not limited (admins, or no region attributes). */
  regions: z.array(text()).nullable(),
});
export type Me = z.infer<typeof MeSchema>;

/** A tenant's own OpenID provider: tokens from it are accepted for this tenant only. */
export const TenantIssuerSchema = z.object({
  id: z.uuid(),
  issuer: text(),
  audience: text(),
  clientId: text().nullable(),
  /** Provider role name → Yardmaster role, e.g. `{ "dispatch-dispatcher": "dispatcher" }`. */
  roleMapping: z.record(text(), z.enum(['admin', 'dispatcher', 'driver', 'viewer'])),
  /** Claim carrying the person's region codes (a string or an array of strings); default `region`. */
  regionClaim: text(),
  createdAt: text(),
});
export type TenantIssuer = z.infer<typeof TenantIssuerSchema>;

export const RegisterTenantIssuerSchema = z.object({
  issuer: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .refine(hasNoNul, NUL_MESSAGE),
  audience: text().min(1).max(200),
  clientId: text().min(1).max(200).optional(),
  roleMapping: z.record(text().min(1).max(200), z.enum(['admin', 'dispatcher', 'driver', 'viewer'])).default({}),
  regionClaim: text()
    .trim()
    .regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$/, 'a claim name')
    .default('region'),
});
export type RegisterTenantIssuer = z.infer<typeof RegisterTenantIssuerSchema>;

export const TenantIssuerParamsSchema = z.object({ id: z.uuid() });
