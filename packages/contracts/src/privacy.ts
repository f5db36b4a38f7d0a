import { z } from 'zod';
import { text } from './text.js';
import { AuditEventSchema } from './audit.js';
import { DriverSchema } from './resources.js';
import { MembershipSchema } from './users.js';

/** The person's account with the embedded identity provider (none with an external provider). */
export const PersonalAccountSchema = z.object({
  id: z.uuid(),
  email: text(),
  name: text(),
  active: z.boolean(),
  createdAt: text(),
});
export type PersonalAccount = z.infer<typeof PersonalAccountSchema>;

/** A dispatch the person took part in: as its driver, or as the dispatcher who assigned it. */
export const PersonalDispatchSchema = z.object({
  id: z.uuid(),
  workOrderId: z.uuid(),
  asDriver: z.boolean(),
  asDispatcher: z.boolean(),
  status: text(),
  priority: text(),
  equipmentId: z.uuid().nullable(),
  assignedByName: text().nullable(),
  notes: text().nullable(),
  declineReason: text().nullable(),
  recallReason: text().nullable(),
  cancelReason: text().nullable(),
  createdAt: text(),
  dispatchedAt: text().nullable(),
  completedAt: text().nullable(),
});
export type PersonalDispatch = z.infer<typeof PersonalDispatchSchema>;

/** GET /api/v1/users/:id/personal-data: everything the tenant holds about one person (GDPR art. 15/20). */
export const PersonalDataExportSchema = z.object({
  format: z.literal('yardmaster.personal-data.v1'),
  exportedAt: text(),
  tenant: text(),
  membership: MembershipSchema,
  account: PersonalAccountSchema.nullable(),
  driver: DriverSchema.nullable(),
  dispatches: z.array(PersonalDispatchSchema),
  /** Audit events where the person is the actor, oldest first. */
  auditEvents: z.array(AuditEventSchema),
});
export type PersonalDataExport = z.infer<typeof PersonalDataExportSchema>;

/** POST /api/v1/users/:id/erasure: `confirm` must repeat the person's e-mail (or their name when they have none). */
export const ErasePersonSchema = z.object({ confirm: text().min(1).max(320) }).strict();
export type ErasePerson = z.infer<typeof ErasePersonSchema>;

export const ErasureResultSchema = z.object({
  membershipId: z.uuid(),
  pseudonym: text(),
  erasedAt: text(),
  deactivated: z.boolean(),
  /** How many records of each kind now hold the pseudonym instead of the name and e-mail. */
  pseudonymised: z.object({
    membership: z.number().int(),
    account: z.number().int(),
    driver: z.number().int(),
    dispatches: z.number().int(),
    auditEvents: z.number().int(),
  }),
  /**
   * Audit events written before keyed hashing (hash version 1) that name the person: their hash
   * covers the values themselves, so they are kept as written (decision 0012).
   */
  legacyAuditEventsKept: z.number().int(),
});
export type ErasureResult = z.infer<typeof ErasureResultSchema>;
