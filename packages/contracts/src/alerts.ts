import { z } from 'zod';
import { text } from './text.js';

export const AlertKindSchema = z.enum(['queued_too_long', 'urgent_queue_depth', 'qualification_expiring', 'qualification_shortfall']);
export const AlertSchema = z.object({
  id: z.uuid(),
  kind: AlertKindSchema,
  entityType: text(),
  entityId: text(),
  message: text(),
  details: z.record(text(), z.unknown()),
  firstSeenAt: text(),
  raisedAt: text(),
  resolvedAt: text().nullable(),
});
export type Alert = z.infer<typeof AlertSchema>;
export const AlertListQuerySchema = z.object({
  state: z.enum(['open', 'resolved', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const AlertSettingsSchema = z.object({
  queuedMinutes: z.number().int().min(0).max(10_080).describe('a dispatch queued longer than this raises an alert (default 120)'),
  urgentDepth: z.number().int().min(1).max(10_000).describe('urgent requests queued at once…'),
  urgentMinutes: z.number().int().min(0).max(1_440).describe('…for at least this long (default 10)'),
  expiringDays: z.number().int().min(0).max(365).describe('qualifications expiring within this many days (default 30)'),
});
export type AlertSettings = z.infer<typeof AlertSettingsSchema>;
export const UpdateAlertSettingsSchema = AlertSettingsSchema.partial().strict();
