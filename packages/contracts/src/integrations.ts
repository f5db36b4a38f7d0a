import { z } from 'zod';
import { text } from './text.js';

/**
 * Roles a service account may hold. Integrations create and read work (`dispatcher`) or only read
 * it (`viewer`); `admin` is left out so a leaked integration secret cannot administer the tenant
 * (create more service accounts, invite people), and `driver` because driver routes act on a
 * person's own driver record.
 */
export const ServiceAccountRoleSchema = z.enum(['dispatcher', 'viewer']);
export type ServiceAccountRole = z.infer<typeof ServiceAccountRoleSchema>;
export const SERVICE_ACCOUNT_ROLES = ServiceAccountRoleSchema.options;

/** A service account as listed: never its secret. */
export const ServiceAccountSchema = z.object({
  id: z.uuid(),
  name: text(),
  clientId: text(),
  roles: z.array(ServiceAccountRoleSchema),
  active: z.boolean(),
  createdAt: z.iso.datetime(),
  secretRotatedAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
  lastTokenAt: z.iso.datetime().nullable(),
});
export type ServiceAccount = z.infer<typeof ServiceAccountSchema>;

/** The answer to creating a service account or rotating its secret: the only time the secret is shown. */
export const ServiceAccountWithSecretSchema = ServiceAccountSchema.extend({
  clientSecret: text(),
  /** Where the client-credentials grant is made (the embedded provider's token endpoint). */
  tokenEndpoint: text(),
});
export type ServiceAccountWithSecret = z.infer<typeof ServiceAccountWithSecretSchema>;

export const CreateServiceAccountSchema = z
  .object({
    name: text().trim().min(1, 'give the integration a name').max(100),
    roles: z.array(ServiceAccountRoleSchema).min(1, 'give at least one role').max(2),
  })
  .strict();
export type CreateServiceAccount = z.infer<typeof CreateServiceAccountSchema>;

export const ServiceAccountParamsSchema = z.object({ id: z.uuid() });
