import { z } from 'zod';
import { text } from './text.js';
import { RegionCodeSchema, RegionFilterSchema, RegionRefSchema } from './regions.js';

const RegionCodeOrNull = RegionCodeSchema.nullable();

/** Shared pieces of the resource contracts (people, fleet, sites). */
export const CodeSchema = text()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, 'letters, digits, _ . - ; 1 to 40 characters, starting with a letter or digit');
export const NameSchema = text().trim().min(1, 'required').max(200);
export const NoteSchema = text().trim().max(2000);
export const PositionSchema = z.object({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});
export type Position = z.infer<typeof PositionSchema>;
export const IdParamsSchema = z.object({ id: z.uuid() });
const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: text().max(500).optional(),
  q: text().trim().max(200).optional(),
  includeArchived: booleanQuery.optional(),
});

/** `?sort=field` ascending or `?sort=-field` descending; a cursor is valid only for the sort it came from. */
function sortOf<const F extends readonly [string, ...string[]]>(fields: F, fallback: F[number]) {
  const options = fields.flatMap((f) => [f, `-${f}`]) as [string, ...string[]];
  return z.enum(options).default(fallback);
}
export const CODE_SORTS = ['code', 'name', 'createdAt', 'updatedAt'] as const;
export const EQUIPMENT_SORTS = ['assetTag', 'name', 'status', 'idleSince', 'createdAt', 'updatedAt'] as const;
export const DRIVER_SORTS = ['name', 'dutyStatus', 'idleSince', 'createdAt', 'updatedAt'] as const;
export const SITE_SORTS = ['name', 'createdAt', 'updatedAt'] as const;
export const QualificationListQuerySchema = ListQuerySchema.extend({ sort: sortOf(CODE_SORTS, 'code') });
export const EquipmentTypeListQuerySchema = ListQuerySchema.extend({
  sort: sortOf(CODE_SORTS, 'code'),
  /** Types whose operators need this qualification. */
  qualificationId: z.uuid().optional(),
});
export const SiteListQuerySchema = ListQuerySchema.extend({ sort: sortOf(SITE_SORTS, 'name'), region: RegionFilterSchema });

// --- qualifications ---------------------------------------------------------------------------
export const QualificationSchema = z.object({
  id: z.uuid(),
  code: text(),
  name: text(),
  description: text().nullable(),
  archived: z.boolean(),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type Qualification = z.infer<typeof QualificationSchema>;
export const CreateQualificationSchema = z.object({ code: CodeSchema, name: NameSchema, description: NoteSchema.nullish() }).strict();
export type CreateQualification = z.infer<typeof CreateQualificationSchema>;
export const UpdateQualificationSchema = CreateQualificationSchema.partial().strict();
export type UpdateQualification = z.infer<typeof UpdateQualificationSchema>;

// --- equipment types --------------------------------------------------------------------------
export const EquipmentTypeSchema = z.object({
  id: z.uuid(),
  code: text(),
  name: text(),
  description: text().nullable(),
  requiredQualificationIds: z.array(z.uuid()),
  archived: z.boolean(),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type EquipmentType = z.infer<typeof EquipmentTypeSchema>;
export const CreateEquipmentTypeSchema = z
  .object({
    code: CodeSchema,
    name: NameSchema,
    description: NoteSchema.nullish(),
    requiredQualificationIds: z.array(z.uuid()).max(20).default([]),
  })
  .strict();
export type CreateEquipmentType = z.infer<typeof CreateEquipmentTypeSchema>;
export const UpdateEquipmentTypeSchema = z
  .object({ code: CodeSchema, name: NameSchema, description: NoteSchema.nullish(), requiredQualificationIds: z.array(z.uuid()).max(20) })
  .partial()
  .strict();
export type UpdateEquipmentType = z.infer<typeof UpdateEquipmentTypeSchema>;

// --- equipment --------------------------------------------------------------------------------
export const EquipmentStatusSchema = z.enum(['available', 'dispatched', 'maintenance', 'retired']);
export type EquipmentStatus = z.infer<typeof EquipmentStatusSchema>;
export const AssetTagSchema = text()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$/, 'letters, digits, _ . / - ; 1 to 40 characters');
export const EquipmentSchema = z.object({
  id: z.uuid(),
  assetTag: text(),
  name: text(),
  equipmentTypeId: z.uuid(),
  status: EquipmentStatusSchema,
  statusNote: text().nullable(),
  home: PositionSchema.nullable(),
  position: PositionSchema.nullable(),
  /** Region code, or null: shared by every region. */
  region: text().nullable(),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type Equipment = z.infer<typeof EquipmentSchema>;
export const CreateEquipmentSchema = z
  .object({
    assetTag: AssetTagSchema,
    name: NameSchema,
    equipmentTypeId: z.uuid(),
    home: PositionSchema.nullish(),
    position: PositionSchema.nullish(),
    region: RegionRefSchema,
  })
  .strict();
export type CreateEquipment = z.infer<typeof CreateEquipmentSchema>;
export const UpdateEquipmentSchema = CreateEquipmentSchema.partial().strict();
export type UpdateEquipment = z.infer<typeof UpdateEquipmentSchema>;
export const EquipmentListQuerySchema = ListQuerySchema.extend({
  status: EquipmentStatusSchema.optional(),
  equipmentTypeId: z.uuid().optional(),
  /** Equipment whose type needs this qualification to operate. */
  qualificationId: z.uuid().optional(),
  region: RegionFilterSchema,
  sort: sortOf(EQUIPMENT_SORTS, 'assetTag'),
});
export const StatusNoteSchema = z.object({ note: NoteSchema.min(1, 'say what happened') }).strict();
export const OptionalNoteSchema = z.object({ note: NoteSchema.optional() }).strict();

// --- drivers ----------------------------------------------------------------------------------
export const DutyStatusSchema = z.enum(['on_duty', 'off_duty']);
export type DutyStatus = z.infer<typeof DutyStatusSchema>;
export const HeldQualificationInputSchema = z
  .object({ qualificationId: z.uuid(), expiresAt: z.iso.datetime({ offset: true }).nullish() })
  .strict();
export const HeldQualificationSchema = z.object({
  qualificationId: z.uuid(),
  code: text(),
  name: text(),
  expiresAt: text().nullable(),
  expired: z.boolean(),
});
export const DriverSchema = z.object({
  id: z.uuid(),
  name: text(),
  employeeNo: text().nullable(),
  phone: text().nullable(),
  email: text().nullable(),
  subject: text().nullable(),
  dutyStatus: DutyStatusSchema,
  statusNote: text().nullable(),
  position: PositionSchema.nullable(),
  qualifications: z.array(HeldQualificationSchema),
  /** Region code, or null: shared by every region. */
  region: text().nullable(),
  archived: z.boolean(),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type Driver = z.infer<typeof DriverSchema>;
export const CreateDriverSchema = z
  .object({
    name: NameSchema,
    employeeNo: text().trim().min(1).max(50).nullish(),
    phone: text()
      .trim()
      .regex(/^[+0-9 ()-]{3,50}$/, 'digits, spaces, + ( ) -')
      .nullish(),
    email: z.email().max(320).nullish(),
    subject: text().trim().min(1).max(255).nullish(),
    dutyStatus: DutyStatusSchema.default('off_duty'),
    position: PositionSchema.nullish(),
    qualifications: z.array(HeldQualificationInputSchema).max(50).default([]),
    region: RegionRefSchema,
  })
  .strict();
export type CreateDriver = z.infer<typeof CreateDriverSchema>;
export const UpdateDriverSchema = z
  .object({
    name: NameSchema,
    employeeNo: text().trim().min(1).max(50).nullable(),
    phone: text()
      .trim()
      .regex(/^[+0-9 ()-]{3,50}$/, 'digits, spaces, + ( ) -')
      .nullable(),
    email: z.email().max(320).nullable(),
    subject: text().trim().min(1).max(255).nullable(),
    position: PositionSchema.nullable(),
    qualifications: z.array(HeldQualificationInputSchema).max(50),
    region: RegionCodeOrNull,
  })
  .partial()
  .strict();
export type UpdateDriver = z.infer<typeof UpdateDriverSchema>;
export const DriverListQuerySchema = ListQuerySchema.extend({
  dutyStatus: DutyStatusSchema.optional(),
  /** Drivers holding this qualification, expired or not. */
  qualificationId: z.uuid().optional(),
  /** Drivers with a qualification expired already or expiring within this many days. */
  expiringWithinDays: z.coerce.number().int().min(0).max(3650).optional(),
  region: RegionFilterSchema,
  sort: sortOf(DRIVER_SORTS, 'name'),
});
/** Add or renew one qualification a driver holds (no expiresAt: it does not expire). */
export const HoldQualificationSchema = z.object({ expiresAt: z.iso.datetime({ offset: true }).nullish() }).strict();
export const DriverQualificationParamsSchema = z.object({ id: z.uuid(), qualificationId: z.uuid() });
export const SetDutySchema = z.object({ dutyStatus: DutyStatusSchema, note: NoteSchema.optional() }).strict();

// --- sites ------------------------------------------------------------------------------------
export const SiteSchema = z.object({
  id: z.uuid(),
  name: text(),
  address: text(),
  position: PositionSchema.nullable(),
  contactName: text().nullable(),
  contactPhone: text().nullable(),
  notes: text().nullable(),
  /** Region code, or null: shared by every region. */
  region: text().nullable(),
  active: z.boolean(),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type Site = z.infer<typeof SiteSchema>;
export const CreateSiteSchema = z
  .object({
    name: NameSchema,
    address: text().trim().min(1, 'required').max(500),
    position: PositionSchema.nullish(),
    contactName: text().trim().max(200).nullish(),
    contactPhone: text()
      .trim()
      .regex(/^[+0-9 ()-]{3,50}$/, 'digits, spaces, + ( ) -')
      .nullish(),
    notes: text().trim().max(5000).nullish(),
    region: RegionRefSchema,
  })
  .strict();
export type CreateSite = z.infer<typeof CreateSiteSchema>;
export const UpdateSiteSchema = CreateSiteSchema.partial().extend({ active: z.boolean().optional() }).strict();
export type UpdateSite = z.infer<typeof UpdateSiteSchema>;
