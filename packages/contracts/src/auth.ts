import { z } from 'zod';
import { hasNoNul, NUL_MESSAGE, text } from './text.js';
import { LocaleSchema } from './locale.js';

/** An e-mail domain (`example.com`), lower-cased. */
export const EmailDomainSchema = text()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'an e-mail domain such as example.com');

/** A tenant slug as typed on the sign-in page (checked loosely: an unknown one is simply not found). */
const TenantSlugLikeSchema = text()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'an organisation name such as acme');

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
  /** `locale`: how the tenant's dates are written (tenant setting, default en-GB). */
  tenant: z.object({ slug: text(), name: text(), timeZone: text(), locale: LocaleSchema }).nullable(),
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
  /** E-mail domains whose people sign in to the web app through this provider (unique across tenants). */
  domains: z.array(text()),
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
  domains: z.array(EmailDomainSchema).max(20).default([]),
});
export type RegisterTenantIssuer = z.infer<typeof RegisterTenantIssuerSchema>;

/** Changes to a registration; the issuer and audience stay (register another provider to change them). */
export const UpdateTenantIssuerSchema = z
  .object({
    clientId: text().min(1).max(200).nullable().optional(),
    roleMapping: RegisterTenantIssuerSchema.shape.roleMapping.unwrap().optional(),
    regionClaim: RegisterTenantIssuerSchema.shape.regionClaim.unwrap().optional(),
    domains: z.array(EmailDomainSchema).max(20).optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'name at least one setting to change');
export type UpdateTenantIssuer = z.infer<typeof UpdateTenantIssuerSchema>;

/** Which organisation a person signs in to: its slug, or an e-mail address whose domain a tenant declared. */
export const SignInQuerySchema = z
  .object({
    org: TenantSlugLikeSchema.optional(),
    email: z.email().max(320).optional(),
  })
  .refine((v) => (v.org === undefined) !== (v.email === undefined), 'give either org or email');
export type SignInQuery = z.infer<typeof SignInQuerySchema>;

/**
 * How the web app signs a person of that organisation in: the platform's provider, or the tenant's
 * own (then `metadata` names its endpoints; tokens are fetched through this server's relay).
 */
export const SignInOptionsSchema = z.object({
  organisation: z.object({ slug: text(), name: text() }).nullable(),
  provider: z.enum(['platform', 'organisation']),
  issuer: text(),
  clientId: text(),
  scopes: text(),
  metadata: z
    .object({
      issuer: text(),
      authorization_endpoint: text(),
      token_endpoint: text(),
      end_session_endpoint: text().optional(),
    })
    .optional(),
});
export type SignInOptions = z.infer<typeof SignInOptionsSchema>;

export const TenantIssuerParamsSchema = z.object({ id: z.uuid() });
