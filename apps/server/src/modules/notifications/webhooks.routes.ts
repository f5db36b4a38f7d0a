import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreateWebhookSchema,
  CreatedWebhookSchema,
  PageQuerySchema,
  UpdateWebhookSchema,
  WebhookDeliveryDetailSchema,
  WebhookDeliveryPageSchema,
  WebhookDeliveryQuerySchema,
  WebhookDeliverySchema,
  WebhookPageSchema,
  WebhookSchema,
} from '@yardmaster/contracts';
import type { Database } from '../../platform/db/index.js';
import { callerOf } from '../../platform/http/access.js';
import { tenantRunner } from '../../platform/http/tenant-route.js';
import { unprocessable } from '../../platform/errors.js';
import { outboundRefusalOf, type Outbound } from '../../platform/net/outbound.js';
import { expectedVersion, optionalVersion, setEtag } from '../../platform/http/versioning.js';
import type { WebhookWorker } from './webhooks.worker.js';
import {
  createWebhook,
  getDelivery,
  getWebhook,
  listDeliveries,
  listWebhooks,
  removeWebhook,
  replayDelivery,
  rotateWebhookSecret,
  sendTestDelivery,
  updateWebhook,
} from './webhooks.service.js';

const admin = { access: { roles: ['admin' as const] } };
const IdParams = z.object({ id: z.uuid() });

/** Admin-managed outbound webhooks and their delivery log. */
/** Refuses (422, field `url`) a receiver outbound calls may not reach; checked again at every connection. */
async function assertReceiverAllowed(outbound: Outbound, url: string | undefined): Promise<void> {
  if (url === undefined) return;
  try {
    await outbound.assertAllowed(url);
  } catch (error) {
    const refusal = outboundRefusalOf(error);
    if (!refusal) throw error;
    throw unprocessable('outbound-address-refused', `url: ${refusal.reason}`, [{ field: 'url', message: refusal.reason }]);
  }
}

export function webhooksRoutes(database: Database, worker: WebhookWorker, outbound: Outbound) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const inTenant = tenantRunner(database);
    r.post(
      '/api/v1/webhooks',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'Subscribe a URL to event types (the signing secret is returned only here)',
          body: CreateWebhookSchema,
          response: { 201: CreatedWebhookSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        await assertReceiverAllowed(outbound, request.body.url);
        const created = await inTenant(request, (tx) => createWebhook(tx, caller, request.body));
        setEtag(reply, created.version);
        return reply.status(201).header('location', `/api/v1/webhooks/${created.id}`).send(created);
      },
    );
    r.get(
      '/api/v1/webhooks',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'List webhook subscriptions',
          querystring: PageQuerySchema,
          response: { 200: WebhookPageSchema },
        },
      },
      async (request) => {
        return inTenant(request, (tx) => listWebhooks(tx, request.query));
      },
    );
    r.get(
      '/api/v1/webhooks/:id',
      {
        config: admin,
        schema: { tags: ['webhooks'], summary: 'A webhook subscription', params: IdParams, response: { 200: WebhookSchema } },
      },
      async (request, reply) => {
        const view = await inTenant(request, (tx) => getWebhook(tx, request.params.id));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.patch(
      '/api/v1/webhooks/:id',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'Change a subscription (If-Match); active: false pauses it',
          params: IdParams,
          body: UpdateWebhookSchema,
          response: { 200: WebhookSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const expected = expectedVersion(request);
        await assertReceiverAllowed(outbound, request.body.url);
        const view = await inTenant(request, (tx) => updateWebhook(tx, caller, request.params.id, expected, request.body));
        setEtag(reply, view.version);
        return view;
      },
    );
    r.delete(
      '/api/v1/webhooks/:id',
      { config: admin, schema: { tags: ['webhooks'], summary: 'Delete a subscription (and its pending deliveries)', params: IdParams } },
      async (request, reply) => {
        const caller = callerOf(request);
        await inTenant(request, (tx) => removeWebhook(tx, caller, request.params.id));
        return reply.status(204).send();
      },
    );
    r.get(
      '/api/v1/webhooks/:id/deliveries',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'Delivery log of a subscription, newest first',
          params: IdParams,
          querystring: WebhookDeliveryQuerySchema,
          response: { 200: WebhookDeliveryPageSchema },
        },
      },
      async (request) => {
        return inTenant(request, (tx) => listDeliveries(tx, request.params.id, request.query));
      },
    );
    r.post(
      '/api/v1/webhooks/:id/test',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'Send a signed webhook.test event to this subscription only (shows in its delivery log)',
          params: IdParams,
          response: { 202: WebhookDeliverySchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const delivery = await inTenant(request, (tx) => sendTestDelivery(tx, caller, request.params.id));
        worker.wake(caller.tenantSlug);
        return reply.status(202).send(delivery);
      },
    );
    r.post(
      '/api/v1/webhooks/:id/rotate-secret',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'Replace the signing secret (returned only here; If-Match optional)',
          params: IdParams,
          response: { 200: CreatedWebhookSchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const expected = optionalVersion(request);
        const rotated = await inTenant(request, (tx) => rotateWebhookSecret(tx, caller, request.params.id, expected));
        setEtag(reply, rotated.version);
        return rotated;
      },
    );
    r.get(
      '/api/v1/webhook-deliveries/:id',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'A delivery with its payload and every attempt',
          params: IdParams,
          response: { 200: WebhookDeliveryDetailSchema },
        },
      },
      async (request) => {
        return inTenant(request, (tx) => getDelivery(tx, request.params.id));
      },
    );
    r.post(
      '/api/v1/webhook-deliveries/:id/replay',
      {
        config: admin,
        schema: {
          tags: ['webhooks'],
          summary: 'Send a delivery again (e.g. a dead-lettered one)',
          params: IdParams,
          response: { 202: WebhookDeliverySchema },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const delivery = await inTenant(request, (tx) => replayDelivery(tx, caller, request.params.id));
        worker.wake(caller.tenantSlug);
        return reply.status(202).send(delivery);
      },
    );
  };
}
