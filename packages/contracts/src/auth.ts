import { z } from 'zod';

export const ClientConfigSchema = z.object({
  issuer: z.string(),
  clientId: z.string(),
  audience: z.string(),
  scopes: z.string(),
});
export type ClientConfig = z.infer<typeof ClientConfigSchema>;

export const MeSchema = z.object({
  subject: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.enum(['admin', 'dispatcher', 'driver', 'viewer'])),
  isOperator: z.boolean(),
  tenant: z.object({ slug: z.string(), name: z.string(), timeZone: z.string() }).nullable(),
});
export type Me = z.infer<typeof MeSchema>;

/** A tenant's own OpenID provider: tokens from it are accepted for this tenant only. */
export const TenantIssuerSchema = z.object({
  id: z.uuid(),
  issuer: z.string(),
  audience: z.string(),
  clientId: z.string().nullable(),
  /** Provider role name → Yardmaster role, e.g. `{ "dispatch-dispatcher": "dispatcher" }`. */
  roleMapping: z.record(z.string(), z.enum(['admin', 'dispatcher', 'driver', 'viewer'])),
  createdAt: z.string(),
});
export type TenantIssuer = z.infer<typeof TenantIssuerSchema>;

export const RegisterTenantIssuerSchema = z.object({
  issuer: z.url({ protocol: /^https?$/ }).max(500),
  audience: z.string().min(1).max(200),
  clientId: z.string().min(1).max(200).optional(),
  roleMapping: z.record(z.string().min(1).max(200), z.enum(['admin', 'dispatcher', 'driver', 'viewer'])).default({}),
});
export type RegisterTenantIssuer = z.infer<typeof RegisterTenantIssuerSchema>;

export const TenantIssuerParamsSchema = z.object({ id: z.uuid() });
