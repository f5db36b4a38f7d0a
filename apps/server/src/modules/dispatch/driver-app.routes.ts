import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  isActiveDispatch,
  ActionIdParamsSchema,
  DriverActionResultSchema,
  DriverActionSchema,
  DriverJobsSchema,
  DriverSchema,
  FileParamsSchema,
  FilesSettingsSchema,
  IdParamsSchema,
  ProofSchema,
  ProofSettingsSchema,
  RelatedWorkOrdersSchema,
  SetMyDutySchema,
  StoredFileSchema,
  UpdateFilesSettingsSchema,
  UpdateProofSettingsSchema,
  UploadQuerySchema,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { Database, TenantTx } from '../../platform/db/index.js';
import { AppError, notFound, problemType } from '../../platform/errors.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import {
  cleanFilename,
  findFile,
  listFiles,
  markFileDeleted,
  MAX_FILE_BYTES,
  readFilesSettings,
  readProof,
  storeFile,
  writeFilesSettings,
  type FileStore,
} from '../files/index.js';
import { findDriverBySubject, setDriverDuty } from '../people/index.js';
import { applyDriverAction, readDriverAction, readDriverJobs, undoDriverAction } from './driver-actions.js';
import { readProofSettings, writeProofSettings } from './proof-settings.js';
import { linkWorkOrders, listRelated, unlinkWorkOrders } from './work-order-links.js';
import { assertMayUseWorkOrder } from './dispatch.policy.js';

/** Photos are printed in the PDF status report: PNG or JPEG (the app sends JPEG, resized on the phone). */
const PRINTABLE_PHOTOS = ['image/jpeg', 'image/png'] as const;
const ADMIN = { roles: ['admin'] } as const;
const DISPATCHERS = { roles: ['admin', 'dispatcher'] } as const;
const READERS = { roles: ['admin', 'dispatcher', 'viewer'] } as const;
const ANY_ROLE = { roles: ['admin', 'dispatcher', 'viewer', 'driver'] } as const;
const DRIVER = { roles: ['driver'] } as const;
const tags = ['driver app'];

const isOnlyDriver = (caller: Caller): boolean => caller.roles.every((r) => r === 'driver');

/** Drivers see a work order's files only while it is theirs: a dispatch of it is (or was) assigned to them. */
async function checkMayRead(tx: TenantTx, caller: Caller, workOrderId: string, mode: 'read' | 'write' = 'read'): Promise<void> {
  const exists = await tx.selectFrom('work_orders').select('id').where('id', '=', workOrderId).executeTakeFirst();
  if (!exists) throw notFound('work order', workOrderId);
  if (!isOnlyDriver(caller)) return assertMayUseWorkOrder(tx, caller, workOrderId, mode);
  const driver = await findDriverBySubject(tx, caller.subject);
  const mine = driver
    ? await tx
        .selectFrom('dispatches')
        .select('id')
        .where('work_order_id', '=', workOrderId)
        .where('driver_id', '=', driver.id)
        .executeTakeFirst()
    : undefined;
  if (!mine) throw notFound('work order', workOrderId);
}

/** The driver's own dispatch, still active (proof is uploaded before completing). */
async function checkOwnActiveDispatch(tx: TenantTx, caller: Caller, dispatchId: string): Promise<{ workOrderId: string }> {
  const driver = await findDriverBySubject(tx, caller.subject);
  const row = driver
    ? await tx.selectFrom('dispatches').select(['work_order_id', 'status', 'driver_id']).where('id', '=', dispatchId).executeTakeFirst()
    : undefined;
  if (!row || !driver || row.driver_id !== driver.id) throw notFound('dispatch', dispatchId);
  if (!isActiveDispatch(row.status)) {
    throw new AppError(409, problemType('conflict'), 'Conflict', `proof can be added only to an active job; this one is ${row.status}`);
  }
  return { workOrderId: row.work_order_id };
}

async function sendFile(
  reply: FastifyReply,
  store: FileStore,
  file: { storageKey: string; filename: string; contentType: string },
): Promise<FastifyReply> {
  const url = await store.storage.downloadUrl(file.storageKey, {
    filename: file.filename,
    contentType: file.contentType,
    expiresSeconds: 300,
  });
  if (url) return reply.redirect(url, 302);
  const bytes = await store.storage.get(file.storageKey);
  if (!bytes) throw notFound('file content');
  const ascii = file.filename.replace(/[^\x20-\x7e]|"/g, '_');
  return reply
    .header('content-type', file.contentType)
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, max-age=300')
    .send(bytes);
}

/**
 * The driver app (job card, status taps online or queued offline, undo, duty), proof of completion,
 * work-order attachments and links between related work orders.
 */
export function driverAppRoutes(database: Database, store: FileStore) {
  return async (app: FastifyInstance): Promise<void> => {
    const inTenant = tenantRunner(database);
    await app.register(async (json) => {
      const r = json.withTypeProvider<ZodTypeProvider>();
      // --- the driver's day
      r.get(
        '/api/v1/me/driver/jobs',
        {
          config: { access: DRIVER },
          schema: {
            tags,
            summary: 'My job card (machine, description, site with contact and access notes, start) and the jobs after it',
            response: { 200: DriverJobsSchema },
          },
        },
        (request) => inTenant(request, (tx, caller) => readDriverJobs(tx, caller)),
      );
      r.post(
        '/api/v1/me/driver/actions',
        {
          config: { access: DRIVER },
          schema: {
            tags,
            summary: 'A status tap (made now or queued offline); the id is its idempotency key. Refused actions say why.',
            body: DriverActionSchema,
            response: { 200: DriverActionResultSchema },
          },
        },
        (request) => inTenant(request, (tx, caller) => applyDriverAction(tx, caller, request.body)),
      );
      r.get(
        '/api/v1/me/driver/actions/:actionId',
        {
          config: { access: DRIVER },
          schema: {
            tags,
            summary: 'The outcome of an earlier action',
            params: ActionIdParamsSchema,
            response: { 200: DriverActionResultSchema },
          },
        },
        (request) => inTenant(request, (tx, caller) => readDriverAction(tx, caller, request.params.actionId)),
      );
      r.post(
        '/api/v1/me/driver/actions/:actionId/undo',
        {
          config: { access: DRIVER },
          schema: {
            tags,
            summary: 'Undo a travel step within 10 s, while nothing depends on it',
            params: ActionIdParamsSchema,
            response: { 200: DriverActionResultSchema },
          },
        },
        (request) => inTenant(request, (tx, caller) => undoDriverAction(tx, caller, request.params.actionId)),
      );
      r.put(
        '/api/v1/me/driver/duty',
        {
          config: { access: DRIVER },
          schema: { tags, summary: 'Go on or off duty, with an optional note', body: SetMyDutySchema, response: { 200: DriverSchema } },
        },
        (request) =>
          inTenant(request, async (tx, caller) => {
            const driver = await findDriverBySubject(tx, caller.subject);
            if (!driver) throw notFound('driver record for your account');
            return setDriverDuty(tx, caller, driver.id, undefined, request.body);
          }),
      );

      // --- settings
      r.get(
        '/api/v1/settings/proof',
        {
          config: { access: DISPATCHERS },
          schema: { tags, summary: 'What completing a job requires: photos, signature, notes', response: { 200: ProofSettingsSchema } },
        },
        (request) => inTenant(request, (tx) => readProofSettings(tx)),
      );
      r.patch(
        '/api/v1/settings/proof',
        {
          config: { access: ADMIN },
          schema: {
            tags,
            summary: 'Set what completing a job requires',
            body: UpdateProofSettingsSchema,
            response: { 200: ProofSettingsSchema },
          },
        },
        (request) => inTenant(request, (tx, caller) => writeProofSettings(tx, caller, request.body)),
      );
      r.get(
        '/api/v1/settings/files',
        {
          config: { access: DISPATCHERS },
          schema: { tags, summary: "The tenant's file quota and use", response: { 200: FilesSettingsSchema } },
        },
        (request) => inTenant(request, (tx) => readFilesSettings(tx, store.defaultQuotaBytes)),
      );
      r.patch(
        '/api/v1/settings/files',
        {
          config: { access: ADMIN },
          schema: { tags, summary: "Set the tenant's file quota", body: UpdateFilesSettingsSchema, response: { 200: FilesSettingsSchema } },
        },
        (request) => inTenant(request, (tx, caller) => writeFilesSettings(tx, caller, request.body.quotaBytes, store.defaultQuotaBytes)),
      );

      // --- attachments
      r.get(
        '/api/v1/work-orders/:id/attachments',
        {
          config: { access: ANY_ROLE },
          schema: {
            tags,
            summary: "A work order's attachments (drivers: their own jobs')",
            params: IdParamsSchema,
            response: { 200: z.object({ items: z.array(StoredFileSchema) }) },
          },
        },
        (request) =>
          inTenant(request, async (tx, caller) => {
            await checkMayRead(tx, caller, request.params.id);
            return { items: await listFiles(tx, { workOrderId: request.params.id, purpose: 'attachment' }) };
          }),
      );
      r.get(
        '/api/v1/work-orders/:id/attachments/:fileId/content',
        {
          config: { access: ANY_ROLE },
          schema: { tags, summary: 'Download an attachment (S3: a short-lived pre-signed redirect)', params: FileParamsSchema },
        },
        async (request, reply) => {
          const file = await inTenant(request, async (tx, caller) => {
            await checkMayRead(tx, caller, request.params.id);
            const f = await findFile(tx, request.params.fileId);
            if (!f || f.workOrderId !== request.params.id || f.purpose !== 'attachment') throw notFound('file', request.params.fileId);
            return f;
          });
          return sendFile(reply, store, file);
        },
      );
      r.delete(
        '/api/v1/work-orders/:id/attachments/:fileId',
        { config: { access: DISPATCHERS }, schema: { tags, summary: 'Delete an attachment (audited)', params: FileParamsSchema } },
        async (request, reply) => {
          const removed = await inTenant(request, async (tx, caller) => {
            await assertMayUseWorkOrder(tx, caller, request.params.id, 'write');
            const f = await findFile(tx, request.params.fileId);
            if (!f || f.workOrderId !== request.params.id || f.purpose !== 'attachment') throw notFound('file', request.params.fileId);
            return markFileDeleted(tx, caller, f.id);
          });
          await store.storage.delete(removed.storageKey);
          return reply.status(204).send();
        },
      );

      // --- proof of completion
      r.get(
        '/api/v1/dispatches/:id/proof',
        {
          config: { access: ANY_ROLE },
          schema: {
            tags,
            summary: 'Proof of completion: photos, signature with signer, notes',
            params: IdParamsSchema,
            response: { 200: ProofSchema },
          },
        },
        (request) =>
          inTenant(request, async (tx, caller) => {
            const d = await tx
              .selectFrom('dispatches')
              .select(['work_order_id', 'driver_id'])
              .where('id', '=', request.params.id)
              .executeTakeFirst();
            if (!d) throw notFound('dispatch', request.params.id);
            await assertMayUseWorkOrder(tx, caller, d.work_order_id, 'read');
            if (isOnlyDriver(caller)) {
              const driver = await findDriverBySubject(tx, caller.subject);
              if (!driver || driver.id !== d.driver_id) throw notFound('dispatch', request.params.id);
            }
            const proof = await readProof(tx, request.params.id);
            if (!proof) throw notFound('proof of completion for dispatch', request.params.id);
            const { keys: _keys, ...view } = proof;
            return view;
          }),
      );
      r.get(
        '/api/v1/dispatches/:id/proof/files/:fileId/content',
        { config: { access: ANY_ROLE }, schema: { tags, summary: 'A proof photo or signature image', params: FileParamsSchema } },
        async (request, reply) => {
          const file = await inTenant(request, async (tx, caller) => {
            const f = await findFile(tx, request.params.fileId);
            if (!f || f.dispatchId !== request.params.id) throw notFound('file', request.params.fileId);
            await checkMayRead(tx, caller, f.workOrderId);
            if (isOnlyDriver(caller)) {
              const driver = await findDriverBySubject(tx, caller.subject);
              const d = await tx.selectFrom('dispatches').select('driver_id').where('id', '=', request.params.id).executeTakeFirst();
              if (!driver || d?.driver_id !== driver.id) throw notFound('file', request.params.fileId);
            }
            return f;
          });
          return sendFile(reply, store, file);
        },
      );

      // --- related work orders
      r.get(
        '/api/v1/work-orders/:id/related',
        {
          config: { access: READERS },
          schema: {
            tags: ['work-orders'],
            summary: 'Work orders related to this one',
            params: IdParamsSchema,
            response: { 200: RelatedWorkOrdersSchema },
          },
        },
        (request) =>
          inTenant(request, async (tx, caller) => {
            const exists = await tx.selectFrom('work_orders').select('id').where('id', '=', request.params.id).executeTakeFirst();
            if (!exists) throw notFound('work order', request.params.id);
            await assertMayUseWorkOrder(tx, caller, request.params.id, 'read');
            return { items: await listRelated(tx, request.params.id, caller) };
          }),
      );
      const LinkParams = z.object({ id: z.uuid(), relatedId: z.uuid() });
      r.put(
        '/api/v1/work-orders/:id/related/:relatedId',
        {
          config: { access: DISPATCHERS },
          schema: {
            tags: ['work-orders'],
            summary: 'Mark two work orders as related (shown on both)',
            params: LinkParams,
            response: { 200: RelatedWorkOrdersSchema },
          },
        },
        (request) =>
          inTenant(request, async (tx, caller) => ({
            items: await linkWorkOrders(tx, caller, request.params.id, request.params.relatedId),
          })),
      );
      r.delete(
        '/api/v1/work-orders/:id/related/:relatedId',
        {
          config: { access: DISPATCHERS },
          schema: {
            tags: ['work-orders'],
            summary: 'Remove the link between two work orders',
            params: LinkParams,
            response: { 200: RelatedWorkOrdersSchema },
          },
        },
        (request) =>
          inTenant(request, async (tx, caller) => ({
            items: await unlinkWorkOrders(tx, caller, request.params.id, request.params.relatedId),
          })),
      );
    });

    // --- uploads: raw bytes of any declared type, judged from the bytes; 10 MB (413 above)
    await app.register(async (binary) => {
      binary.removeAllContentTypeParsers();
      binary.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES }, (_request, body, done) => done(null, body));
      const r = binary.withTypeProvider<ZodTypeProvider>();
      const bytesOf = (body: unknown): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));
      r.post(
        '/api/v1/work-orders/:id/attachments',
        {
          bodyLimit: MAX_FILE_BYTES,
          config: { access: DISPATCHERS },
          schema: {
            tags,
            summary: 'Attach a file (raw body, its Content-Type; 1 byte to 10 MB; type checked from the bytes)',
            params: IdParamsSchema,
            querystring: UploadQuerySchema,
            response: { 201: StoredFileSchema },
          },
        },
        async (request, reply) => {
          const caller = callerOf(request);
          const view = await storeFile(
            database,
            store,
            caller,
            {
              workOrderId: request.params.id,
              dispatchId: null,
              purpose: 'attachment',
              filename: cleanFilename(request.query.filename, 'attachment'),
              declaredType: request.headers['content-type'],
              bytes: bytesOf(request.body),
            },
            (tx) => checkMayRead(tx, caller, request.params.id, 'write'),
          );
          return reply.status(201).send(view);
        },
      );
      const ProofParams = z.object({ id: z.uuid(), fileId: z.uuid() });
      for (const purpose of ['photo', 'signature'] as const) {
        r.put(
          `/api/v1/dispatches/:id/proof/${purpose}s/:fileId`,
          {
            bodyLimit: MAX_FILE_BYTES,
            config: { access: DRIVER },
            schema: {
              tags,
              summary: `Upload a proof ${purpose} for my active job (client-chosen id: a retry stores it once)`,
              params: ProofParams,
              response: { 200: StoredFileSchema },
            },
          },
          async (request) => {
            const caller = callerOf(request);
            let workOrderId = '';
            await inTenant(request, async (tx) => {
              workOrderId = (await checkOwnActiveDispatch(tx, caller, request.params.id)).workOrderId;
            });
            return storeFile(
              database,
              store,
              caller,
              {
                id: request.params.fileId,
                workOrderId,
                dispatchId: request.params.id,
                purpose,
                filename: `${purpose}-${request.params.fileId.slice(0, 8)}`,
                declaredType: request.headers['content-type'],
                bytes: bytesOf(request.body),
                allowed: purpose === 'signature' ? ['image/png'] : PRINTABLE_PHOTOS,
              },
              async (tx) => {
                await checkOwnActiveDispatch(tx, caller, request.params.id);
                if (purpose === 'photo') {
                  const photos = (await listFiles(tx, { dispatchId: request.params.id, purpose: 'photo' })).filter(
                    (f) => f.id !== request.params.fileId,
                  );
                  if (photos.length >= 5)
                    throw new AppError(422, problemType('too-many-photos'), 'Unprocessable request', 'a job takes at most 5 photos');
                }
              },
            );
          },
        );
      }
    });
  };
}
