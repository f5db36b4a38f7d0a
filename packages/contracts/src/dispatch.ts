import { z } from 'zod';
import { text } from './text.js';
import { NoteSchema } from './resources.js';

export const PrioritySchema = z.enum(['urgent', 'standard', 'low']);
export type Priority = z.infer<typeof PrioritySchema>;

// --- the dispatch state machine (DESIGN §5.1), declared once ---------------------------------------
// Server (use cases, SQL lists), migrations and the web app derive from these declarations. Adding a
// status: add it to DISPATCH_STATUS (with its stamp and whether it is active), give it its
// transitions, map it in workOrderStatusOf if needed, and write a migration that regenerates the
// SQL lists (see migrations/tenant/202612010400_dispatch_state_machine.ts).

/**
 * Every status: the timestamp it stamps (a `timestamps` key of the API, `<snake>` column in SQL);
 * `active`: holds a driver and a machine now; `terminal`: final; `waiting`: for resources;
 * `assigned`: was given a driver and a machine (records them).
 */
export const DISPATCH_STATUS = {
  scheduled: { stamps: null, active: false, terminal: false, waiting: true, assigned: false },
  queued: { stamps: null, active: false, terminal: false, waiting: true, assigned: false },
  /** Recalled work kept out of the queue until a dispatcher releases it (reason, optional "not before"). */
  held: { stamps: 'heldAt', active: false, terminal: false, waiting: false, assigned: false },
  dispatched: { stamps: 'dispatchedAt', active: true, terminal: false, waiting: false, assigned: true },
  en_route: { stamps: 'enRouteAt', active: true, terminal: false, waiting: false, assigned: true },
  on_site: { stamps: 'onSiteAt', active: true, terminal: false, waiting: false, assigned: true },
  returning: { stamps: 'returningAt', active: true, terminal: false, waiting: false, assigned: true },
  completed: { stamps: 'completedAt', active: false, terminal: true, waiting: false, assigned: true },
  recalled: { stamps: 'recalledAt', active: false, terminal: true, waiting: false, assigned: true },
  cancelled: { stamps: 'cancelledAt', active: false, terminal: true, waiting: false, assigned: false },
} as const satisfies Record<string, { stamps: string | null; active: boolean; terminal: boolean; waiting: boolean; assigned: boolean }>;

type StatusKey = keyof typeof DISPATCH_STATUS;
const statusKeys = Object.keys(DISPATCH_STATUS) as [StatusKey, ...StatusKey[]];
export const DISPATCH_STATUSES: readonly StatusKey[] = statusKeys;
export const DispatchStatusSchema = z.enum(statusKeys);
export type DispatchStatus = z.infer<typeof DispatchStatusSchema>;

type ActiveKey = { [K in StatusKey]: (typeof DISPATCH_STATUS)[K]['active'] extends true ? K : never }[StatusKey];
/** Statuses that hold a driver and a piece of equipment (at most one active dispatch each). */
export const ACTIVE_DISPATCH_STATUSES = statusKeys.filter((s) => DISPATCH_STATUS[s].active) as ActiveKey[];
/** Statuses waiting for resources (not yet dispatched). */
export const WAITING_DISPATCH_STATUSES = statusKeys.filter((s) => DISPATCH_STATUS[s].waiting);
export const isActiveDispatch = (status: DispatchStatus): boolean => DISPATCH_STATUS[status].active;

/** The SQL column a status stamps (`dispatched_at` …), or null. */
export function stampColumnOf(status: DispatchStatus): string | null {
  const key = DISPATCH_STATUS[status].stamps;
  return key === null ? null : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Who may make a move: `system` (matching, the sweeper), a dispatcher/admin, or the dispatch's own driver. */
export type DispatchActor = 'system' | 'dispatcher' | 'driver';

/** A command and the moves it makes: from which statuses, to which, and who may make it. */
export const DISPATCH_TRANSITIONS = {
  promote: { from: ['scheduled'], to: 'queued', by: ['system'] },
  assign: { from: ['queued', 'scheduled'], to: 'dispatched', by: ['system', 'dispatcher'] },
  decline: { from: ['dispatched'], to: 'queued', by: ['driver'] },
  en_route: { from: ['dispatched'], to: 'en_route', by: ['driver', 'dispatcher'] },
  on_site: { from: ['en_route'], to: 'on_site', by: ['driver', 'dispatcher'] },
  returning: { from: ['on_site'], to: 'returning', by: ['driver', 'dispatcher'] },
  complete: { from: ['dispatched', 'en_route', 'on_site', 'returning'], to: 'completed', by: ['driver', 'dispatcher'] },
  recall: { from: ['dispatched', 'en_route', 'on_site', 'returning'], to: 'recalled', by: ['dispatcher'] },
  cancel: { from: ['scheduled', 'queued', 'held'], to: 'cancelled', by: ['dispatcher'] },
  /** Held work goes back to the queue now… */
  release: { from: ['held'], to: 'queued', by: ['dispatcher'] },
  /** …or, released before its "not before" time, waits as scheduled work until then. */
  defer: { from: ['held'], to: 'scheduled', by: ['dispatcher'] },
  /** Not a move: the priority may change until the equipment is on its way. */
  reprioritise: { from: ['scheduled', 'queued', 'dispatched'], to: null, by: ['dispatcher'] },
} as const satisfies Record<string, { from: readonly StatusKey[]; to: StatusKey | null; by: readonly DispatchActor[] }>;
export type DispatchCommand = keyof typeof DISPATCH_TRANSITIONS;

export const canMove = (command: DispatchCommand, from: DispatchStatus): boolean =>
  (DISPATCH_TRANSITIONS[command].from as readonly string[]).includes(from);
export const mayMove = (command: DispatchCommand, actor: DispatchActor): boolean =>
  (DISPATCH_TRANSITIONS[command].by as readonly string[]).includes(actor);

/** The command that takes a dispatch to `to` by one step forward (driver's status updates), if any. */
export function advanceCommandTo(to: DispatchStatus): DispatchCommand | null {
  const found = (['en_route', 'on_site', 'returning', 'complete'] as const).find((c) => DISPATCH_TRANSITIONS[c].to === to);
  return found ?? null;
}

/** The next forward step of the job from `status` (the driver's next button), or null. */
export function nextStepFrom(status: DispatchStatus): DispatchStatus | null {
  for (const c of ['en_route', 'on_site', 'returning'] as const)
    if ((DISPATCH_TRANSITIONS[c].from as readonly string[]).includes(status)) return DISPATCH_TRANSITIONS[c].to;
  return status === 'returning' ? 'completed' : null;
}

export const WorkOrderStatusSchema = z.enum(['pending', 'assigned', 'completed', 'cancelled']);
export type WorkOrderStatus = z.infer<typeof WorkOrderStatusSchema>;

/**
 * A work order's status follows its dispatches (recalled ones were replaced and do not count):
 * cancelled when all are cancelled; assigned while any is active; completed when none is waiting
 * or active; else pending.
 */
export function workOrderStatusOf(statuses: readonly DispatchStatus[]): WorkOrderStatus {
  const counted = statuses.filter((s) => s !== 'recalled');
  if (counted.length > 0 && counted.every((s) => s === 'cancelled')) return 'cancelled';
  if (counted.some((s) => DISPATCH_STATUS[s].active)) return 'assigned';
  if (counted.every((s) => DISPATCH_STATUS[s].terminal)) return 'completed';
  return 'pending';
}

// --- work orders ------------------------------------------------------------------------------
export const WorkOrderLineInputSchema = z
  .object({ equipmentTypeId: z.uuid(), quantity: z.number().int().min(1).max(100), equipmentId: z.uuid().nullish() })
  .strict()
  .refine((l) => !l.equipmentId || l.quantity === 1, {
    message: 'a specific piece of equipment can only be requested once',
    path: ['quantity'],
  });
export const CreateWorkOrderSchema = z
  .object({
    siteId: z.uuid(),
    description: text().trim().min(1, 'required').max(5000),
    priority: PrioritySchema.default('standard'),
    requestedStart: z.iso.datetime({ offset: true }).nullish().describe('omit for "now"'),
    dueAt: z.iso.datetime({ offset: true }).nullish(),
    notes: text().trim().max(5000).nullish(),
    lines: z.array(WorkOrderLineInputSchema).min(1, 'at least one line').max(50),
  })
  .strict()
  .refine((w) => !w.dueAt || !w.requestedStart || w.dueAt >= w.requestedStart, {
    message: 'must not be before the requested start',
    path: ['dueAt'],
  });
export type CreateWorkOrder = z.infer<typeof CreateWorkOrderSchema>;

export const WorkOrderSchema = z.object({
  id: z.uuid(),
  number: text(),
  siteId: z.uuid(),
  description: text(),
  priority: PrioritySchema,
  requestedStart: text(),
  dueAt: text().nullable(),
  notes: text().nullable(),
  status: WorkOrderStatusSchema,
  lines: z.array(
    z.object({
      id: z.uuid(),
      lineNo: z.number().int(),
      equipmentTypeId: z.uuid(),
      quantity: z.number().int(),
      equipmentId: z.uuid().nullable(),
    }),
  ),
  dispatchIds: z.array(z.uuid()),
  createdBy: z.object({ subject: text(), name: text() }),
  version: z.number().int(),
  createdAt: text(),
  updatedAt: text(),
});
export type WorkOrder = z.infer<typeof WorkOrderSchema>;
export const UpdateWorkOrderSchema = z
  .object({
    description: text().trim().min(1, 'required').max(5000),
    notes: text().trim().max(5000).nullable(),
    dueAt: z.iso.datetime({ offset: true }).nullable(),
  })
  .partial()
  .strict();
export type UpdateWorkOrder = z.infer<typeof UpdateWorkOrderSchema>;

export const WorkOrderListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: text().max(500).optional(),
  status: WorkOrderStatusSchema.optional(),
  siteId: z.uuid().optional(),
  q: text().trim().max(200).optional(),
});

// --- dispatches -------------------------------------------------------------------------------
export const DispatchSchema = z.object({
  id: z.uuid(),
  workOrderId: z.uuid(),
  workOrderNumber: text(),
  lineId: z.uuid(),
  equipmentTypeId: z.uuid(),
  requestedEquipmentId: z.uuid().nullable(),
  siteId: z.uuid(),
  priority: PrioritySchema,
  status: DispatchStatusSchema,
  requestedStart: text(),
  queuedAt: text().nullable(),
  equipmentId: z.uuid().nullable(),
  driverId: z.uuid().nullable(),
  assignedBy: z.object({ kind: z.enum(['user', 'system']), subject: text(), name: text() }).nullable(),
  notes: text().nullable(),
  declineReason: text().nullable(),
  declinedBy: z.uuid().nullable().describe('the driver who declined it last (their reason: declineReason)'),
  recallReason: text().nullable(),
  cancelReason: text().nullable(),
  hold: z
    .object({ reason: text(), notBefore: text().nullable() })
    .nullable()
    .describe('while held (or deferred from a hold): why, and the time before which it is not dispatched'),
  timestamps: z.object({
    createdAt: text(),
    heldAt: text().nullable(),
    dispatchedAt: text().nullable(),
    enRouteAt: text().nullable(),
    onSiteAt: text().nullable(),
    returningAt: text().nullable(),
    completedAt: text().nullable(),
    recalledAt: text().nullable(),
    cancelledAt: text().nullable(),
  }),
  version: z.number().int(),
});
export type Dispatch = z.infer<typeof DispatchSchema>;
export const DispatchListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: text().max(500).optional(),
  status: text()
    .max(200)
    .transform((s) => s.split(','))
    .pipe(z.array(DispatchStatusSchema))
    .optional()
    .describe('comma-separated statuses'),
  workOrderId: z.uuid().optional(),
  driverId: z.uuid().optional(),
});

export const ReasonSchema = z.object({ reason: text().trim().min(1, 'give a reason').max(2000) }).strict();
export const HoldSchema = z
  .object({
    reason: text().trim().min(1, 'say why the work is held').max(2000),
    notBefore: z.iso.datetime({ offset: true }).nullish().describe('not dispatched before this time, even once released'),
  })
  .strict();
export const RecallSchema = z
  .object({
    reason: text().trim().min(1, 'give a reason').max(2000),
    hold: HoldSchema.optional().describe('omit: the work is queued again now; given: it is held until a dispatcher releases it'),
  })
  .strict();
export type Recall = z.infer<typeof RecallSchema>;
export const OptionalReasonSchema = z.object({ reason: text().trim().max(2000).optional() }).strict();
export const AdvanceSchema = z
  .object({
    status: z.enum(['en_route', 'on_site', 'returning', 'completed'] as const satisfies readonly (typeof DISPATCH_TRANSITIONS)[
      'en_route' | 'on_site' | 'returning' | 'complete']['to'][]),
    notes: NoteSchema.optional(),
  })
  .strict();
export const ManualDispatchSchema = z.object({ equipmentId: z.uuid(), driverId: z.uuid() }).strict();
export const ReprioritiseSchema = z.object({ priority: PrioritySchema }).strict();

export const QueueBlockerSchema = z.object({
  kind: text(),
  message: text().describe('as a dispatcher would say it, naming the people and machines'),
  count: z.number().int(),
  names: z.array(text()).describe('each resource concerned, with what holds it: "Ann Ortiz — on WO-2026-000012 until about 14:30 UTC"'),
});
export const ExplainSchema = z.object({
  dispatchId: z.uuid(),
  status: DispatchStatusSchema,
  queuePosition: z.number().int().nullable().describe('1 = next among requests competing for the same resources'),
  competing: z.number().int(),
  summary: text().describe('one line: the main reason it waits'),
  blockers: z.array(QueueBlockerSchema),
  estimatedAssignmentAt: text().nullable(),
  estimateBasis: text(),
});
export type Explain = z.infer<typeof ExplainSchema>;

export const CandidateEquipmentSchema = z.object({
  id: z.uuid(),
  code: text().describe('asset tag'),
  name: text(),
  eligible: z.boolean(),
  reasons: z
    .array(text())
    .describe('why not, in plain words: "in maintenance since 2026-11-28 (hydraulic leak)", "on WO-2026-000012 until about 14:30 GMT"'),
});
export const CandidateDriverSchema = z.object({
  id: z.uuid(),
  name: text(),
  eligible: z.boolean(),
  reasons: z
    .array(text())
    .describe('why not, in plain words: "off duty", "missing qualification HAZMAT", "qualification CDL-A expired on 2026-10-01"'),
});
/** What a dispatcher may pick for a waiting dispatch: eligible ones first, the others with their reasons. */
export const CandidatesSchema = z.object({
  equipment: z.array(CandidateEquipmentSchema),
  drivers: z.array(CandidateDriverSchema),
});
export type CandidateEquipment = z.infer<typeof CandidateEquipmentSchema>;
export type CandidateDriver = z.infer<typeof CandidateDriverSchema>;
export type Candidates = z.infer<typeof CandidatesSchema>;

export const BoardSchema = z.object({
  queued: z.array(
    DispatchSchema.extend({
      queuePosition: z.number().int().describe('1 = next among the queued requests for the same equipment type'),
      competing: z.number().int().describe('how many requests for the same equipment type are queued ("#2 of 5")'),
      reason: text().describe('one line: the main reason it waits ("every Crane is on a job")'),
      waitingSeconds: z.number().int(),
    }),
  ),
  scheduled: z.array(DispatchSchema),
  held: z.array(DispatchSchema).describe('recalled work kept out of the queue until released'),
  active: z.array(DispatchSchema),
  autoProcessing: z.boolean(),
});
export type Board = z.infer<typeof BoardSchema>;

export const DispatchSettingsSchema = z.object({
  autoProcessing: z.boolean(),
  ageingPointsPerMinute: z.number().min(0).max(100),
  scheduleLeadMinutes: z.number().int().min(0).max(1440),
});
export type DispatchSettings = z.infer<typeof DispatchSettingsSchema>;
export const UpdateDispatchSettingsSchema = DispatchSettingsSchema.partial().strict();

/** Typical job length per equipment type (mean over the last 90 days; 1 hour without history): the timeline draws "to go" from it. */
export const JobLengthsSchema = z.object({
  defaultSeconds: z.number().int(),
  types: z.array(z.object({ equipmentTypeId: z.uuid(), meanSeconds: z.number().int(), finished: z.number().int() })),
});
export type JobLengths = z.infer<typeof JobLengthsSchema>;

/** The map's tile source: a MapLibre style URL, or null for the built-in plain style (no tiles). */
export const MapStyleSchema = z.object({ styleUrl: text().nullable() });
export type MapStyle = z.infer<typeof MapStyleSchema>;
