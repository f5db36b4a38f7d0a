import { z } from 'zod';
import { text } from './text.js';
import { NoteSchema } from './resources.js';

export const PrioritySchema = z.enum(['urgent', 'standard', 'low']);
export type Priority = z.infer<typeof PrioritySchema>;
export const DispatchStatusSchema = z.enum(['scheduled', 'queued', 'dispatched', 'en_route', 'on_site', 'returning', 'completed', 'recalled', 'cancelled']);
export type DispatchStatus = z.infer<typeof DispatchStatusSchema>;
export const ACTIVE_DISPATCH_STATUSES = ['dispatched', 'en_route', 'on_site', 'returning'] as const;

// --- work orders ------------------------------------------------------------------------------
export const WorkOrderLineInputSchema = z
  .object({ equipmentTypeId: z.uuid(), quantity: z.number().int().min(1).max(100), equipmentId: z.uuid().nullish() })
  .strict()
  .refine((l) => !l.equipmentId || l.quantity === 1, { message: 'a specific piece of equipment can only be requested once', path: ['quantity'] });
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
  .refine((w) => !w.dueAt || !w.requestedStart || w.dueAt >= w.requestedStart, { message: 'must not be before the requested start', path: ['dueAt'] });
export type CreateWorkOrder = z.infer<typeof CreateWorkOrderSchema>;

export const WorkOrderStatusSchema = z.enum(['pending', 'assigned', 'completed', 'cancelled']);
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
  lines: z.array(z.object({ id: z.uuid(), lineNo: z.number().int(), equipmentTypeId: z.uuid(), quantity: z.number().int(), equipmentId: z.uuid().nullable() })),
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
  recallReason: text().nullable(),
  cancelReason: text().nullable(),
  timestamps: z.object({
    createdAt: text(),
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
export const OptionalReasonSchema = z.object({ reason: text().trim().max(2000).optional() }).strict();
export const AdvanceSchema = z.object({ status: z.enum(['en_route', 'on_site', 'returning', 'completed']), notes: NoteSchema.optional() }).strict();
export const ManualDispatchSchema = z.object({ equipmentId: z.uuid(), driverId: z.uuid() }).strict();
export const ReprioritiseSchema = z.object({ priority: PrioritySchema }).strict();

export const QueueBlockerSchema = z.object({ kind: text(), message: text(), count: z.number().int() });
export const ExplainSchema = z.object({
  dispatchId: z.uuid(),
  status: DispatchStatusSchema,
  queuePosition: z.number().int().nullable().describe('1 = next among requests competing for the same resources'),
  competing: z.number().int(),
  blockers: z.array(QueueBlockerSchema),
  estimatedAssignmentAt: text().nullable(),
  estimateBasis: text(),
});
export type Explain = z.infer<typeof ExplainSchema>;

export const BoardSchema = z.object({
  queued: z.array(DispatchSchema.extend({ queuePosition: z.number().int(), waitingSeconds: z.number().int() })),
  scheduled: z.array(DispatchSchema),
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
