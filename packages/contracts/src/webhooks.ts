import { z } from 'zod';
import { text } from './text.js';
import { PageQuerySchema, pageOf } from './common.js';

const EventType = text()
  .trim()
  .regex(/^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*)$/, 'an event type such as dispatch.dispatched, or * for all');

/**
 * Outbound webhooks. Each delivery is an HTTP POST of the live event's JSON with headers
 * `X-Yardmaster-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`,
 * `Idempotency-Key: <event id>` (the same on every retry: receivers dedupe by it),
 * `X-Yardmaster-Event: <type>` and `X-Yardmaster-Delivery: <delivery id>`. Any 2xx is success.
 */
export const CreateWebhookSchema = z.object({
  url: text()
    .trim()
    .max(2000)
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, 'an absolute http:// or https:// URL'),
  eventTypes: z.array(EventType).min(1).max(100),
  description: text().trim().max(500).optional(),
});
export type CreateWebhook = z.infer<typeof CreateWebhookSchema>;

/** Changes a subscription (If-Match); `active: false` pauses deliveries of new events. */
export const UpdateWebhookSchema = CreateWebhookSchema.partial().extend({ active: z.boolean().optional() }).strict();
export type UpdateWebhook = z.infer<typeof UpdateWebhookSchema>;

export const WebhookSchema = z.object({
  id: z.uuid(),
  url: text(),
  eventTypes: z.array(text()),
  description: text().nullable(),
  active: z.boolean(),
  createdAt: text(),
  version: z.number().int(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

/** Returned once, on creation: the signing secret is never shown again. */
export const CreatedWebhookSchema = WebhookSchema.extend({ secret: text() });
export type CreatedWebhook = z.infer<typeof CreatedWebhookSchema>;

export const WebhookPageSchema = pageOf(WebhookSchema);

export const WebhookDeliveryStatusSchema = z.enum(['pending', 'delivered', 'dead']);

export const WebhookAttemptSchema = z.object({
  attemptedAt: text(),
  statusCode: z.number().int().nullable(),
  error: text().nullable(),
  durationMs: z.number().int(),
});

export const WebhookDeliverySchema = z.object({
  id: z.uuid(),
  subscriptionId: z.uuid(),
  eventId: text(),
  eventType: text(),
  status: WebhookDeliveryStatusSchema,
  attempts: z.number().int(),
  nextAttemptAt: text().nullable(),
  lastError: text().nullable(),
  deliveredAt: text().nullable(),
  createdAt: text(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export const WebhookDeliveryDetailSchema = WebhookDeliverySchema.extend({
  payload: z.record(text(), z.unknown()),
  attemptLog: z.array(WebhookAttemptSchema),
});

export const WebhookDeliveryQuerySchema = PageQuerySchema.extend({ status: WebhookDeliveryStatusSchema.optional() });
export const WebhookDeliveryPageSchema = pageOf(WebhookDeliverySchema);
