import { z } from 'zod';
import { DispatchSchema } from './dispatch.js';
import { PositionSchema } from './resources.js';

/** A stored file as the API shows it (work-order attachment, proof photo or signature). */
export const StoredFileSchema = z.object({
  id: z.uuid(),
  workOrderId: z.uuid(),
  dispatchId: z.uuid().nullable(),
  purpose: z.enum(['attachment', 'photo', 'signature']),
  filename: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  createdBy: z.object({ subject: z.string(), name: z.string() }),
  createdAt: z.string(),
});
export type StoredFileView = z.infer<typeof StoredFileSchema>;

export const FileParamsSchema = z.object({ id: z.uuid(), fileId: z.uuid() });
export const UploadQuerySchema = z.object({ filename: z.string().max(300).optional() }).strict();

export const FilesSettingsSchema = z.object({ quotaBytes: z.number().int(), usedBytes: z.number().int() });
export const UpdateFilesSettingsSchema = z.object({ quotaBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict();

/** What completing a job must carry, per tenant: each part off, optional or required. */
export const ProofRequirementSchema = z.enum(['off', 'optional', 'required']);
export const ProofSettingsSchema = z.object({
  photos: ProofRequirementSchema,
  signature: ProofRequirementSchema,
  notes: ProofRequirementSchema,
});
export type ProofSettings = z.infer<typeof ProofSettingsSchema>;
export const UpdateProofSettingsSchema = ProofSettingsSchema.partial().strict();

export const ProofInputSchema = z
  .object({
    photoIds: z.array(z.uuid()).max(5, 'at most 5 photos').default([]),
    signatureId: z.uuid().optional(),
    signerName: z.string().trim().min(1).max(200).optional(),
    notes: z.string().trim().max(5000).optional(),
  })
  .strict();
export type ProofInput = z.infer<typeof ProofInputSchema>;

export const ProofSchema = z.object({
  dispatchId: z.uuid(),
  signerName: z.string().nullable(),
  signature: StoredFileSchema.nullable(),
  photos: z.array(StoredFileSchema),
  notes: z.string().nullable(),
  createdAt: z.string(),
});
export type Proof = z.infer<typeof ProofSchema>;

/** The job card: everything a driver needs to do the job without calling the office. */
export const DriverJobSchema = z.object({
  dispatch: DispatchSchema,
  workOrder: z.object({ id: z.uuid(), number: z.string(), description: z.string(), dueAt: z.string().nullable() }),
  equipment: z
    .object({
      id: z.uuid(),
      assetTag: z.string(),
      name: z.string(),
      typeCode: z.string(),
      typeName: z.string(),
      parkedAt: PositionSchema.nullable(),
    })
    .nullable(),
  site: z.object({
    id: z.uuid(),
    name: z.string(),
    address: z.string(),
    position: PositionSchema.nullable(),
    contactName: z.string().nullable(),
    contactPhone: z.string().nullable(),
    accessNotes: z.string().nullable(),
  }),
  scheduledStart: z.string(),
  attachments: z.array(StoredFileSchema),
  related: z.array(z.object({ id: z.uuid(), number: z.string() })),
});
export type DriverJob = z.infer<typeof DriverJobSchema>;

export const DriverJobsSchema = z.object({
  current: DriverJobSchema.nullable(),
  upcoming: z.array(DriverJobSchema),
  proof: ProofSettingsSchema,
  /** The last refused offline action the driver has not seen yet is shown by the client from its own queue. */
  serverTime: z.string(),
});
export type DriverJobs = z.infer<typeof DriverJobsSchema>;

export const DriverActionKindSchema = z.enum(['en_route', 'on_site', 'returning', 'completed', 'decline']);
export type DriverActionKind = z.infer<typeof DriverActionKindSchema>;

/** A status tap, made online or queued offline: its id is the idempotency key. */
export const DriverActionSchema = z
  .object({
    id: z.uuid(),
    dispatchId: z.uuid(),
    action: DriverActionKindSchema,
    occurredAt: z.iso.datetime({ offset: true }),
    notes: z.string().trim().max(5000).optional(),
    reason: z.string().trim().max(2000).optional(),
    proof: ProofInputSchema.optional(),
  })
  .strict();
export type DriverAction = z.infer<typeof DriverActionSchema>;

export const DriverActionResultSchema = z.object({
  id: z.uuid(),
  dispatchId: z.uuid(),
  action: DriverActionKindSchema,
  outcome: z.enum(['applied', 'refused']),
  /** Why a refused action was not applied, in words for the driver. */
  reason: z.string().nullable(),
  occurredAt: z.string(),
  receivedAt: z.string(),
  /** Until when "Undo" works (null: this action cannot be undone). */
  undoableUntil: z.string().nullable(),
  undone: z.boolean(),
  dispatch: DispatchSchema.nullable(),
});
export type DriverActionResult = z.infer<typeof DriverActionResultSchema>;

export const ActionIdParamsSchema = z.object({ actionId: z.uuid() });

export const SetMyDutySchema = z
  .object({ dutyStatus: z.enum(['on_duty', 'off_duty']), note: z.string().trim().max(2000).optional() })
  .strict();

export const WorkOrderLinkSchema = z.object({ relatedId: z.uuid() }).strict();
export const RelatedWorkOrdersSchema = z.object({
  items: z.array(z.object({ id: z.uuid(), number: z.string(), description: z.string(), status: z.string() })),
});

export const PushSubscriptionSchema = z
  .object({
    endpoint: z.url().max(2000),
    keys: z.object({ p256dh: z.string().regex(/^[A-Za-z0-9_-]{80,100}={0,2}$/), auth: z.string().regex(/^[A-Za-z0-9_-]{16,30}={0,2}$/) }),
  })
  .strip();
export const PushKeySchema = z.object({ publicKey: z.string() });
