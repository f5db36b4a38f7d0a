import { z } from 'zod';
import { text } from './text.js';
import { PageQuerySchema, pageOf, UuidSchema } from './common.js';

/** A point in time as the dispatch module holds it: a Date or an ISO 8601 string with offset. */
export type TimestampInput = Date | string;

/**
 * What the dispatch module hands to `recordStatusReport` when a dispatch finishes (completed or
 * recalled), in the same transaction: a denormalised copy of everything the report shows, so the
 * report stays correct however the work order, site, equipment or driver change later.
 */
export type StatusReportSnapshot = {
  dispatchId: string;
  workOrder: { id: string; number: string; description: string | null };
  site: { id: string; name: string; address: string | null };
  equipment: { id: string; assetTag: string; name: string; typeId: string; typeCode: string; typeName: string };
  driver: { id: string; name: string };
  /** Who dispatched it: a user (subject, name) or the engine itself (`kind: 'system'`). */
  dispatcher: { kind: 'user' | 'system'; subject: string; name: string };
  priority: 'urgent' | 'standard' | 'low';
  finalStatus: 'completed' | 'recalled';
  timestamps: {
    /** When the work order line asked for it to start (the requested start). */
    requestedAt?: TimestampInput | null;
    /** When the dispatch row was created. */
    createdAt: TimestampInput;
    queuedAt?: TimestampInput | null;
    dispatchedAt: TimestampInput;
    enRouteAt?: TimestampInput | null;
    onSiteAt?: TimestampInput | null;
    returningAt?: TimestampInput | null;
    /** Set when finalStatus is 'completed'. */
    completedAt?: TimestampInput | null;
    /** Set when finalStatus is 'recalled'. */
    recalledAt?: TimestampInput | null;
  };
  notes?: string | null;
  recallReason?: string | null;
};

export const ReportStatusSchema = z.enum(['completed', 'recalled']);
export type ReportStatus = z.infer<typeof ReportStatusSchema>;

const iso = text();

/** Durations in whole seconds; null when a phase did not happen (e.g. recalled before on site). */
export const ReportDurationsSchema = z.object({
  total: z.number().int().nullable().describe('created → finished'),
  queueWait: z.number().int().nullable().describe('queued (or created) → dispatched'),
  toDispatch: z.number().int().nullable().describe('created → dispatched'),
  dispatchedToEnRoute: z.number().int().nullable(),
  travelToSite: z.number().int().nullable().describe('en route → on site'),
  toSite: z.number().int().nullable().describe('dispatched → on site'),
  onSite: z.number().int().nullable().describe('on site → returning (or finished)'),
  returning: z.number().int().nullable().describe('returning → finished'),
  busy: z.number().int().nullable().describe('dispatched → finished: equipment and driver reserved'),
});
export type ReportDurations = z.infer<typeof ReportDurationsSchema>;

export const ReportNoteSchema = z.object({
  id: UuidSchema,
  body: text(),
  author: z.object({ subject: text(), name: text() }),
  createdAt: iso,
});
export type ReportNote = z.infer<typeof ReportNoteSchema>;

export const StatusReportSchema = z.object({
  id: UuidSchema,
  number: text().describe('SR-000001, unique per tenant'),
  dispatchId: UuidSchema,
  finalStatus: ReportStatusSchema,
  priority: z.enum(['urgent', 'standard', 'low']),
  workOrder: z.object({ id: UuidSchema, number: text(), description: text().nullable() }),
  site: z.object({ id: UuidSchema, name: text(), address: text().nullable() }),
  equipment: z.object({ id: UuidSchema, assetTag: text(), name: text(), typeId: UuidSchema, typeCode: text(), typeName: text() }),
  driver: z.object({ id: UuidSchema, name: text() }),
  dispatcher: z.object({ kind: z.enum(['user', 'system']), subject: text(), name: text() }),
  timestamps: z.object({
    requestedAt: iso.nullable(),
    createdAt: iso,
    queuedAt: iso.nullable(),
    dispatchedAt: iso,
    enRouteAt: iso.nullable(),
    onSiteAt: iso.nullable(),
    returningAt: iso.nullable(),
    completedAt: iso.nullable(),
    recalledAt: iso.nullable(),
  }),
  finishedAt: iso,
  durations: ReportDurationsSchema,
  notes: text().nullable(),
  recallReason: text().nullable(),
  generatedAt: iso,
  /** SHA-256 (hex) over the canonical JSON of the immutable report body. */
  contentHash: text(),
  corrections: z.array(ReportNoteSchema),
});
export type StatusReport = z.infer<typeof StatusReportSchema>;

/** List filters: `from` inclusive, `to` exclusive, on the finish time. */
export const ReportListQuerySchema = PageQuerySchema.extend({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  workOrderId: UuidSchema.optional(),
  workOrderNumber: text().trim().min(1).max(50).optional(),
  driverId: UuidSchema.optional(),
  equipmentId: UuidSchema.optional(),
  siteId: UuidSchema.optional(),
  status: ReportStatusSchema.optional(),
});
export type ReportListQuery = z.infer<typeof ReportListQuerySchema>;

/** The same filters as the list, every matching report (up to 100,000) as one CSV or Excel file. */
export const ReportExportQuerySchema = ReportListQuerySchema.omit({ limit: true, cursor: true }).extend({
  format: z.enum(['csv', 'xlsx']).default('csv'),
});
export type ReportExportQuery = z.infer<typeof ReportExportQuerySchema>;

export const ReportSummarySchema = StatusReportSchema.omit({ corrections: true }).extend({ correctionCount: z.number().int() });
export type ReportSummary = z.infer<typeof ReportSummarySchema>;
export const ReportPageSchema = pageOf(ReportSummarySchema);
export type ReportPage = z.infer<typeof ReportPageSchema>;

export const ReportParamsSchema = z.object({ id: UuidSchema });

export const ReportNoteBodySchema = z.object({ body: text().trim().min(1).max(5000) });
export type ReportNoteBody = z.infer<typeof ReportNoteBodySchema>;

/* ───────────────────────────── analytics ───────────────────────────── */

export const AnalyticsQuerySchema = z.object({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  siteId: UuidSchema.optional(),
  equipmentTypeId: UuidSchema.optional(),
  format: z.enum(['json', 'csv', 'xlsx']).default('json'),
  queueDepthResolution: z
    .enum(['hour', 'day'])
    .optional()
    .describe('queue depth per local hour (ranges up to 31 days) or per local day; default: hour up to 31 days, else day'),
});
export type AnalyticsQuery = z.infer<typeof AnalyticsQuerySchema>;

/** Seconds; null when there is nothing to measure. */
export const DurationStatsSchema = z.object({
  count: z.number().int(),
  mean: z.number().nullable(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
});
export type DurationStats = z.infer<typeof DurationStatsSchema>;

export const UtilisationSchema = z.object({
  id: UuidSchema,
  name: text(),
  busySeconds: z.number(),
  availableSeconds: z.number(),
  utilisation: z.number().nullable().describe('busy ÷ available, 0..1'),
});

export const AnalyticsSchema = z.object({
  range: z.object({ from: iso, to: iso, timeZone: text() }),
  source: text().describe('where the figures were computed from'),
  counts: z.object({ created: z.number().int(), completed: z.number().int(), recalled: z.number().int(), cancelled: z.number().int() }),
  fulfilmentRate: z.number().nullable().describe('completed ÷ (completed + recalled + cancelled)'),
  queueWait: DurationStatsSchema,
  timeToDispatch: DurationStatsSchema,
  timeToSite: DurationStatsSchema,
  onSite: DurationStatsSchema,
  utilisation: z.object({
    equipment: z.object({ overall: z.number().nullable(), items: z.array(UtilisationSchema) }),
    drivers: z.object({ overall: z.number().nullable(), items: z.array(UtilisationSchema) }),
  }),
  busiestSites: z.array(z.object({ siteId: UuidSchema, name: text(), dispatches: z.number().int() })),
  queueDepth: z.array(
    z.object({
      hour: text().describe("the tenant's local hour (or day) start, ISO 8601 with its offset"),
      depth: z.number().int().describe('requests waiting at the start of the hour (or day)'),
      mean: z.number().describe('time-weighted mean number of requests waiting during the hour (or day)'),
    }),
  ),
  peakHours: z.array(z.object({ hourOfDay: z.number().int(), requests: z.number().int() })),
  queueDepthResolution: z.enum(['hour', 'day']).optional().describe('the step of `queueDepth`'),
});
export type Analytics = z.infer<typeof AnalyticsSchema>;

/* ───────────────────────────── retention ───────────────────────────── */

export const RETENTION_MINIMUMS = { workOrdersYears: 7, statusReportsYears: 7, auditYears: 3 } as const;

export const RetentionSettingsSchema = z.object({
  workOrdersYears: z.number().int().min(RETENTION_MINIMUMS.workOrdersYears).max(100),
  statusReportsYears: z.number().int().min(RETENTION_MINIMUMS.statusReportsYears).max(100),
  auditYears: z.number().int().min(RETENTION_MINIMUMS.auditYears).max(100),
});
export type RetentionSettings = z.infer<typeof RetentionSettingsSchema>;
