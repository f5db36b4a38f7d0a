import { z } from 'zod';
import { PrioritySchema, WorkOrderLineInputSchema } from './dispatch.js';
import { text } from './text.js';

/**
 * Planning (issue 18): shifts, time off, maintenance windows, recurring work, capacity checks and
 * forecasts. Shapes only; the rules a value must meet beyond its shape (a real time zone, a leave
 * that ends after it starts, shifts that do not overlap, a rule within the horizon) are checked by
 * the server and answered 422 naming the field.
 */

const LocalDate = text().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD');
const LocalTime = text().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time, HH:MM');
const LocalDateTime = text().regex(/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$/, 'a local date and time, YYYY-MM-DDTHH:MM');
const Instant = z.iso.datetime({ offset: true });

export const PlanningSettingsSchema = z.object({
  timeZone: text().describe("IANA zone of shifts, leave days and recurring work (the tenant's zone until set)"),
  allowOvertime: z.boolean().describe('offer a job to a driver whose shift ends before its typical duration'),
  horizonDays: z.number().int().min(1).max(366).describe('recurring work is created this many days ahead'),
  maxOccurrencesPerSeries: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .describe('a rule may not create more occurrences than this inside the horizon'),
});
export type PlanningSettings = z.infer<typeof PlanningSettingsSchema>;
export const UpdatePlanningSettingsSchema = PlanningSettingsSchema.partial().strict();
export type UpdatePlanningSettings = z.infer<typeof UpdatePlanningSettingsSchema>;

// --- shifts
export const SHIFT_KINDS = ['weekly', 'rotating'] as const;
export const CreateShiftPatternSchema = z
  .object({
    driverId: z.uuid(),
    kind: z.enum(SHIFT_KINDS),
    weekdays: z.array(z.number().int().min(1).max(7)).max(7).optional().describe('weekly: ISO weekdays, 1 = Monday'),
    anchorDate: LocalDate.optional().describe('rotating: the first "on" day of a cycle'),
    onDays: z.number().int().min(1).max(60).optional(),
    offDays: z.number().int().min(0).max(60).optional(),
    startTime: LocalTime,
    endTime: LocalTime.describe('at or before the start: the shift ends the next day'),
    validFrom: LocalDate,
    validUntil: LocalDate.nullish(),
    note: text().trim().max(500).nullish(),
  })
  .strict();
export type CreateShiftPattern = z.infer<typeof CreateShiftPatternSchema>;
export const ShiftPatternSchema = z.object({
  id: z.uuid(),
  driverId: z.uuid(),
  driverName: text(),
  kind: z.enum(SHIFT_KINDS),
  weekdays: z.array(z.number().int()),
  anchorDate: text().nullable(),
  onDays: z.number().int().nullable(),
  offDays: z.number().int().nullable(),
  startTime: text(),
  endTime: text(),
  validFrom: text(),
  validUntil: text().nullable(),
  note: text().nullable(),
  summary: text().describe('"Mon–Fri 07:00–15:30" or "4 on, 4 off from 2026-12-01, 07:00–19:00"'),
});
export type ShiftPattern = z.infer<typeof ShiftPatternSchema>;

export const CreateShiftExceptionSchema = z
  .object({
    driverId: z.uuid(),
    onDate: LocalDate,
    kind: z.enum(['off', 'work']),
    startTime: LocalTime.nullish(),
    endTime: LocalTime.nullish(),
    note: text().trim().max(500).nullish(),
  })
  .strict();
export type CreateShiftException = z.infer<typeof CreateShiftExceptionSchema>;
export const ShiftExceptionSchema = z.object({
  id: z.uuid(),
  driverId: z.uuid(),
  onDate: text(),
  kind: z.enum(['off', 'work']),
  startTime: text().nullable(),
  endTime: text().nullable(),
  note: text().nullable(),
});
export type ShiftException = z.infer<typeof ShiftExceptionSchema>;

export const ShiftsQuerySchema = z.object({ from: Instant, to: Instant, driverId: z.uuid().optional() });
export const ShiftIntervalsSchema = z.object({
  timeZone: text(),
  items: z.array(z.object({ driverId: z.uuid(), startsAt: text(), endsAt: text() })),
});

// --- time off
export const TIME_OFF_STATUSES = ['requested', 'approved', 'declined', 'cancelled'] as const;
export const CreateTimeOffSchema = z
  .object({
    driverId: z.uuid().optional().describe('dispatchers and admins: whose leave; a driver always asks for themself'),
    firstDay: LocalDate,
    lastDay: LocalDate,
    reason: text().trim().max(1000).nullish(),
  })
  .strict();
export type CreateTimeOff = z.infer<typeof CreateTimeOffSchema>;
export const DecideTimeOffSchema = z.object({ note: text().trim().max(1000).nullish() }).strict();
export const TimeOffSchema = z.object({
  id: z.uuid(),
  driverId: z.uuid(),
  driverName: text(),
  firstDay: text(),
  lastDay: text(),
  reason: text().nullable(),
  status: z.enum(TIME_OFF_STATUSES),
  requestedBy: text(),
  decidedBy: text().nullable(),
  decidedAt: text().nullable(),
  decisionNote: text().nullable(),
  version: z.number().int(),
  createdAt: text(),
});
export type TimeOff = z.infer<typeof TimeOffSchema>;
export const TimeOffQuerySchema = z.object({ status: z.enum(TIME_OFF_STATUSES).optional(), driverId: z.uuid().optional() });

// --- maintenance windows
export const CreateMaintenanceWindowSchema = z
  .object({ equipmentId: z.uuid(), startsAt: Instant, endsAt: Instant, reason: text().trim().min(1, 'required').max(500) })
  .strict();
export type CreateMaintenanceWindow = z.infer<typeof CreateMaintenanceWindowSchema>;
export const MaintenanceWindowSchema = z.object({
  id: z.uuid(),
  equipmentId: z.uuid(),
  assetTag: text(),
  startsAt: text(),
  endsAt: text(),
  reason: text(),
  cancelled: z.boolean(),
});
export type MaintenanceWindow = z.infer<typeof MaintenanceWindowSchema>;

// --- recurring work
const TemplateSchema = z
  .object({
    siteId: z.uuid(),
    description: text().trim().min(1, 'required').max(5000),
    priority: PrioritySchema.default('standard'),
    notes: text().trim().max(5000).nullish(),
    lines: z.array(WorkOrderLineInputSchema).min(1, 'at least one line').max(50),
  })
  .strict()
  .describe('the work order each occurrence creates (its requested start is the occurrence)');
export const CreateRecurringWorkOrderSchema = z
  .object({
    rule: text().trim().min(1).max(500).describe('RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=MO,WE'),
    localStart: LocalDateTime.describe('the first occurrence, local wall-clock time in the planning zone'),
    workOrder: TemplateSchema,
  })
  .strict();
export type CreateRecurringWorkOrder = z.infer<typeof CreateRecurringWorkOrderSchema>;
export const OccurrenceSchema = z.object({
  id: z.uuid(),
  seriesId: z.uuid(),
  localStart: text(),
  startsAt: text(),
  status: z.enum(['created', 'skipped', 'detached']),
  workOrderId: z.uuid().nullable(),
  skippedReason: text().nullable(),
});
export type Occurrence = z.infer<typeof OccurrenceSchema>;
export const RecurringWorkOrderSchema = z.object({
  id: z.uuid(),
  rule: text(),
  localStart: text(),
  description: text(),
  priority: PrioritySchema,
  siteId: z.uuid(),
  ended: z.boolean(),
  parentId: z.uuid().nullable(),
  occurrences: z.array(OccurrenceSchema),
  version: z.number().int(),
});
export type RecurringWorkOrder = z.infer<typeof RecurringWorkOrderSchema>;
export const EditOccurrenceSchema = z
  .object({
    scope: z.enum(['this', 'following']).describe('this one, or this and every following occurrence'),
    action: z.enum(['skip', 'change']),
    reason: text().trim().max(500).nullish().describe('why it is skipped (kept with the occurrence)'),
    localStart: LocalDateTime.optional().describe('change: the new local start (this one: its own time; following: the new series start)'),
    rule: text().trim().min(1).max(500).optional().describe('change, following: a new rule from this occurrence on'),
    description: text().trim().min(1).max(5000).optional(),
    priority: PrioritySchema.optional(),
  })
  .strict();
export type EditOccurrence = z.infer<typeof EditOccurrenceSchema>;
export const OccurrenceParamsSchema = z.object({ id: z.uuid(), occurrenceId: z.uuid() });

// --- capacity check
export const CapacityCheckSchema = z
  .object({
    at: Instant,
    lines: z
      .array(z.object({ equipmentTypeId: z.uuid(), quantity: z.number().int().min(1).max(100) }).strict())
      .min(1)
      .max(50),
    durationMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .optional()
      .describe("default: the type's typical job length"),
  })
  .strict();
export type CapacityCheck = z.infer<typeof CapacityCheckSchema>;
export const CapacityResultSchema = z.object({
  ok: z.boolean(),
  warnings: z.array(text()),
  lines: z.array(
    z.object({
      equipmentTypeId: z.uuid(),
      typeCode: text(),
      needed: z.number().int(),
      machines: z.number().int().describe('in service, clear of maintenance windows, not booked by other scheduled work'),
      drivers: z.number().int().describe('qualified then, on shift, not on leave, not booked by other scheduled work'),
    }),
  ),
});
export type CapacityResult = z.infer<typeof CapacityResultSchema>;

// --- forecasts
export const EtaSchema = z.object({
  generatedAt: text(),
  items: z.array(
    z.object({
      dispatchId: z.uuid(),
      workOrderNumber: text(),
      equipmentTypeId: z.uuid(),
      typeCode: text(),
      position: z.number().int(),
      estimatedAssignmentAt: text().nullable(),
      basis: z.array(text()).describe('each fact the estimate rests on'),
    }),
  ),
});
export type Eta = z.infer<typeof EtaSchema>;

export const ForecastQuerySchema = z.object({
  days: z.coerce.number().int().min(1).max(90).default(14),
  format: z.enum(['json', 'csv']).default('json'),
});
export const ForecastProblemSchema = z.object({
  day: text(),
  equipmentTypeId: z.uuid(),
  typeCode: text(),
  /** The region of the jobs' sites (null: shared sites): jobs in different regions are counted apart. */
  region: text().nullable(),
  jobs: z.number().int(),
  qualifiedOnShift: z.number().int(),
  expired: z.array(z.object({ driverName: text(), qualificationCode: text(), expiresOn: text() })),
  message: text(),
});
export const QualificationForecastSchema = z.object({
  from: text(),
  days: z.number().int(),
  timeZone: text(),
  expiries: z.array(z.object({ driverId: z.uuid(), driverName: text(), qualificationCode: text(), expiresOn: text() })),
  problems: z.array(ForecastProblemSchema),
});
export type QualificationForecast = z.infer<typeof QualificationForecastSchema>;
