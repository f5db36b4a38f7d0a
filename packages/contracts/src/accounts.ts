import { z } from 'zod';
import { text } from './text.js';

/**
 * Accounts and sessions of the embedded identity provider: one sign-in of a person in one browser
 * (or app), kept until it is signed out, ended by an admin, replaced by a newer one (at most
 * `MAX_SESSIONS_PER_ACCOUNT`), or expires.
 */
export const MAX_SESSIONS_PER_ACCOUNT = 3;

export const AccountSessionSchema = z.object({
  id: z.uuid(),
  /** The browser or app that signed in (its User-Agent, shortened), null when it sent none. */
  userAgent: text().nullable(),
  signedInAt: text(),
  /** When the session last renewed its tokens (the web app does so while it is used). */
  lastUsedAt: text(),
  /** True for the session the request was made with. */
  current: z.boolean(),
});
export type AccountSession = z.infer<typeof AccountSessionSchema>;

export const AccountSessionListSchema = z.object({ items: z.array(AccountSessionSchema) });

export const EndedSessionsSchema = z.object({ ended: z.number().int().min(0) });
export type EndedSessions = z.infer<typeof EndedSessionsSchema>;

export const ChangePasswordSchema = z.object({
  currentPassword: text().min(1, 'enter your current password').max(1024),
  newPassword: text().min(1, 'enter a new password').max(1024),
});
export type ChangePassword = z.infer<typeof ChangePasswordSchema>;

/** An account as the platform operator sees it (no password, no secrets). */
export const PlatformAccountSchema = z.object({
  id: z.uuid(),
  email: text(),
  name: text(),
  tenantSlug: text().nullable(),
  roles: z.array(text()),
  active: z.boolean(),
  hasPassword: z.boolean(),
});
export type PlatformAccount = z.infer<typeof PlatformAccountSchema>;

export const PlatformAccountQuerySchema = z.object({ email: z.email().max(320) });
export const AccountParamsSchema = z.object({ id: z.uuid() });
