import { z } from 'zod';
import { text } from './text.js';

export const RoleSchema = z.enum(['admin', 'dispatcher', 'driver', 'viewer']);
export type Role = z.infer<typeof RoleSchema>;
export const ROLES = RoleSchema.options;

/** Tenant slugs become schema names (`t_<slug>`): lower-case letters, digits and underscores. */
export const TenantSlugSchema = text().regex(
  /^[a-z][a-z0-9_]{1,39}$/,
  'lower-case letters, digits and _, 2 to 40 characters, starting with a letter',
);

export const UuidSchema = z.uuid();

/** Keyset pagination: `cursor` is opaque, returned as `nextCursor` by the previous page. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: text().max(500).optional(),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: text().nullable() });
}
