import { z } from 'zod';
import { text } from './text.js';
import { PageQuerySchema, pageOf } from './common.js';

/** Who performed an audited action: a signed-in user, or `system` for the engine's own actions. */
export const AuditActorSchema = z.object({
  kind: z.enum(['user', 'system']),
  subject: text(),
  name: text(),
  roles: z.array(text()),
});
export type AuditActor = z.infer<typeof AuditActorSchema>;

const JsonObjectSchema = z.record(text(), z.unknown());

/**
 * One audit event. `before`/`after` hold the changed fields only (the whole record on creation /
 * deletion). `hash` = SHA-256 (hex) over the canonical JSON of the event's content and `prevHash`.
 */
export const AuditEventSchema = z.object({
  sequence: z.number().int().positive(),
  occurredAt: text(),
  actor: AuditActorSchema,
  action: text(),
  entityType: text(),
  entityId: text(),
  before: JsonObjectSchema.nullable(),
  after: JsonObjectSchema.nullable(),
  requestId: text().nullable(),
  sourceIp: text().nullable(),
  userAgent: text().nullable(),
  prevHash: text(),
  hash: text(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

const label = text().trim().min(1).max(100);

/** Filters shared by the list and the export. `from` is inclusive, `to` exclusive. */
export const AuditFilterSchema = z.object({
  entityType: label.optional(),
  entityId: text().trim().min(1).max(200).optional(),
  actor: text().trim().min(1).max(300).optional().describe('the actor subject'),
  action: label.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type AuditFilter = z.infer<typeof AuditFilterSchema>;

/** Sequence-ordered pages; `order` defaults to newest first. */
export const AuditListQuerySchema = PageQuerySchema.extend(AuditFilterSchema.shape).extend({
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type AuditListQuery = z.infer<typeof AuditListQuerySchema>;

export const AuditPageSchema = pageOf(AuditEventSchema);
export type AuditPage = z.infer<typeof AuditPageSchema>;

export const AuditHistoryParamsSchema = z.object({ entityType: label, entityId: text().min(1).max(200) });

export const AuditHistoryQuerySchema = PageQuerySchema.extend({ order: z.enum(['asc', 'desc']).default('asc') });
export type AuditHistoryQuery = z.infer<typeof AuditHistoryQuerySchema>;

export const AuditExportQuerySchema = AuditFilterSchema.extend({ format: z.enum(['csv', 'jsonl']).default('jsonl') });
export type AuditExportQuery = z.infer<typeof AuditExportQuerySchema>;

/** The first broken link of the chain: which event, what was checked, what was expected and found. */
export const AuditBreakSchema = z.object({
  sequence: z.number().int(),
  check: z.enum(['sequence', 'prevHash', 'hash', 'head', 'personal']),
  expected: text(),
  found: text(),
});
export type AuditBreak = z.infer<typeof AuditBreakSchema>;

/** `ok` with the number of events checked and the head hash (anchor it elsewhere), or the first break. */
export const AuditVerifyResultSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  headSequence: z.number().int(),
  headHash: text(),
  firstBroken: AuditBreakSchema.nullable(),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResultSchema>;
