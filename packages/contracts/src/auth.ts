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
