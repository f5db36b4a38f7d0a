import { z } from 'zod';
import { RoleSchema } from './common.js';
import { text } from './text.js';

/**
 * A tenant's multi-factor authentication policy (embedded identity provider): the roles whose
 * holders must sign in with a TOTP code. New tenants start with admin and dispatcher; the demo
 * tenant with none.
 */
export const MfaSettingsSchema = z.object({
  requiredRoles: z
    .array(RoleSchema)
    .max(4)
    .refine((roles) => new Set(roles).size === roles.length, 'name each role once'),
});
export type MfaSettings = z.infer<typeof MfaSettingsSchema>;

/** Whether one person has enrolled an authenticator, and how many recovery codes they have left. */
export const MfaStatusSchema = z.object({
  enrolled: z.boolean(),
  enrolledAt: text().nullable(),
  recoveryCodesLeft: z.number().int().min(0),
  /** True when the tenant requires MFA for one of the person's roles. */
  required: z.boolean(),
});
export type MfaStatus = z.infer<typeof MfaStatusSchema>;

/** Turning one's own MFA off takes a current code (authenticator or recovery code). */
export const DisableOwnMfaSchema = z.object({ code: z.string().trim().min(6).max(20) });
export type DisableOwnMfa = z.infer<typeof DisableOwnMfaSchema>;
