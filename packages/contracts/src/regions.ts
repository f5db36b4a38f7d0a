import { z } from 'zod';
import { text } from './text.js';

/**
 * Regions (ABAC): a tenant's depots or areas. Equipment, drivers and sites may belong to one
 * (none: shared by every region). People hold region attributes (codes) from their membership or
 * from a token claim; a dispatcher or viewer with regions sees and dispatches only in them.
 */
export const RegionCodeSchema = text()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, 'letters, digits, _ . - ; 1 to 40 characters, starting with a letter or digit');

/** A resource's region in a create/update body: a region code of the tenant, or null for shared. */
export const RegionRefSchema = RegionCodeSchema.nullish();

export const RegionSchema = z.object({
  id: z.uuid(),
  code: text(),
  name: text(),
  description: text().nullable(),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type Region = z.infer<typeof RegionSchema>;
export const CreateRegionSchema = z
  .object({ code: RegionCodeSchema, name: text().trim().min(1, 'required').max(200), description: text().trim().max(2000).nullish() })
  .strict();
export type CreateRegion = z.infer<typeof CreateRegionSchema>;
/** The code is the key people's attributes and token claims name: it cannot change. */
export const UpdateRegionSchema = CreateRegionSchema.omit({ code: true }).partial().strict();
export type UpdateRegion = z.infer<typeof UpdateRegionSchema>;
export const RegionParamsSchema = z.object({ id: z.uuid() });
export const RegionListSchema = z.object({ items: z.array(RegionSchema) });
/** The regions a person may work in: up to 50 region codes (empty: not limited). */
export const RegionCodesSchema = z.array(RegionCodeSchema).max(50);
/** `?region=CODE` on resource lists; `?region=shared` is not special (a code is a code). */
export const RegionFilterSchema = RegionCodeSchema.optional();

/** The tenant's region settings (admins change them). */
export const RegionSettingsSchema = z.object({
  /** Automatic matching may send one region's equipment or driver to another region's site (default: no). */
  crossRegionMatching: z.boolean(),
});
export type RegionSettings = z.infer<typeof RegionSettingsSchema>;
export const UpdateRegionSettingsSchema = RegionSettingsSchema.partial().strict();
export type UpdateRegionSettings = z.infer<typeof UpdateRegionSettingsSchema>;
