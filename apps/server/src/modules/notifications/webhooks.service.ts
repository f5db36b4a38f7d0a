import type { CreateWebhook, CreatedWebhook, UpdateWebhook, Webhook, WebhookDelivery } from '@yardmaster/contracts';
import { decodeCursor, encodeCursor, type TenantTx } from '../../platform/db/index.js';
import type { Caller } from '../../platform/caller.js';
import { notFound, staleVersion } from '../../platform/errors.js';
import { recordAudit } from '../audit/index.js';
import {
  deleteSubscription,
  insertSubscription,
  selectAttempts,
  selectDeliveriesPage,
  selectDelivery,
  selectSubscription,
  selectSubscriptionForUpdate,
  selectSubscriptionsPage,
  updateSubscription,
  updateDeliveryForReplay,
  insertTestDelivery,
  updateSubscriptionSecret,
  type AttemptRow,
  type DeliveryRow,
  type SubscriptionRow,
} from './webhooks.repo.js';
import { newWebhookSecret } from './webhooks.signature.js';

const iso = (d: Date | string): string => new Date(d).toISOString();

export const webhookView = (row: SubscriptionRow): Webhook => ({
  id: row.id,
  url: row.url,
  eventTypes: row.event_types,
  description: row.description,
  active: row.active,
  createdAt: iso(row.created_at),
  version: row.version,
});

export const deliveryView = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  eventId: String(row.event_id),
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
  lastError: row.last_error,
  deliveredAt: row.delivered_at ? iso(row.delivered_at) : null,
  createdAt: iso(row.created_at),
});

const attemptView = (row: AttemptRow) => ({
  attemptedAt: iso(row.attempted_at),
  statusCode: row.status_code,
  error: row.error,
  durationMs: row.duration_ms,
});

export async function createWebhook(tx: TenantTx, caller: Caller, input: CreateWebhook): Promise<CreatedWebhook> {
  const secret = newWebhookSecret();
  const row = await insertSubscription(tx, {
    url: input.url,
    event_types: [...new Set(input.eventTypes)],
    secret,
    description: input.description ?? null,
  });
  const view = webhookView(row);
  await recordAudit(tx, caller, { action: 'webhook.created', entityType: 'webhook', entityId: row.id, after: view });
  return { ...view, secret };
}

export async function getWebhook(tx: TenantTx, id: string): Promise<Webhook> {
  const row = await selectSubscription(tx, id);
  if (!row) throw notFound('webhook', id);
  return webhookView(row);
}

export async function listWebhooks(tx: TenantTx, query: { limit: number; cursor?: string | undefined }) {
  const after = decodeCursor(query.cursor);
  const rows = await selectSubscriptionsPage(tx, after ? { createdAt: String(after.k), id: after.id } : undefined, query.limit);
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(webhookView),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ k: iso(last.created_at), id: last.id }) : null,
  };
}

export async function updateWebhook(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expectedVersion: number,
  input: UpdateWebhook,
): Promise<Webhook> {
  const before = await selectSubscriptionForUpdate(tx, id);
  if (!before) throw notFound('webhook', id);
  if (before.version !== expectedVersion) throw staleVersion('webhook', id);
  const row = await updateSubscription(tx, id, {
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(input.eventTypes !== undefined ? { event_types: [...new Set(input.eventTypes)] } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.active !== undefined ? { active: input.active } : {}),
  });
  const view = webhookView(row);
  await recordAudit(tx, caller, {
    action: 'webhook.updated',
    entityType: 'webhook',
    entityId: id,
    before: webhookView(before),
    after: view,
  });
  return view;
}

export async function removeWebhook(tx: TenantTx, caller: Caller, id: string): Promise<void> {
  const row = await deleteSubscription(tx, id);
  if (!row) throw notFound('webhook', id);
  await recordAudit(tx, caller, { action: 'webhook.deleted', entityType: 'webhook', entityId: id, before: webhookView(row) });
}

export async function listDeliveries(
  tx: TenantTx,
  subscriptionId: string,
  query: { limit: number; cursor?: string | undefined; status?: DeliveryRow['status'] | undefined },
) {
  await getWebhook(tx, subscriptionId);
  const before = decodeCursor(query.cursor);
  const rows = await selectDeliveriesPage(
    tx,
    subscriptionId,
    query.status,
    before ? { createdAt: String(before.k), id: before.id } : undefined,
    query.limit,
  );
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(deliveryView),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ k: iso(last.created_at), id: last.id }) : null,
  };
}

export async function getDelivery(tx: TenantTx, id: string) {
  const row = await selectDelivery(tx, id);
  if (!row) throw notFound('webhook delivery', id);
  return { ...deliveryView(row), payload: row.payload, attemptLog: (await selectAttempts(tx, id)).map(attemptView) };
}

/** Sends a delivery again (dead-lettered, or delivered and wanted again), with a fresh attempt budget. */
export async function replayDelivery(tx: TenantTx, caller: Caller, id: string): Promise<WebhookDelivery> {
  const before = await selectDelivery(tx, id);
  if (!before) throw notFound('webhook delivery', id);
  const row = await updateDeliveryForReplay(tx, id);
  if (!row) throw notFound('webhook delivery', id);
  await recordAudit(tx, caller, {
    action: 'webhook.delivery_replayed',
    entityType: 'webhook_delivery',
    entityId: id,
    before: { status: before.status, attempts: before.attempts },
    after: { status: row.status, attempts: row.attempts },
  });
  return deliveryView(row);
}

/** A new signing secret, returned once; deliveries signed from now on use it (the old one stops at once). */
export async function rotateWebhookSecret(
  tx: TenantTx,
  caller: Caller,
  id: string,
  expectedVersion: number | undefined,
): Promise<CreatedWebhook> {
  const before = await selectSubscriptionForUpdate(tx, id);
  if (!before) throw notFound('webhook', id);
  if (expectedVersion !== undefined && before.version !== expectedVersion) throw staleVersion('webhook', id);
  const secret = newWebhookSecret();
  const row = await updateSubscriptionSecret(tx, id, secret);
  const view = webhookView(row);
  // The audit records that the secret changed, never the secret.
  await recordAudit(tx, caller, {
    action: 'webhook.secret_rotated',
    entityType: 'webhook',
    entityId: id,
    before: { version: before.version },
    after: { version: row.version },
  });
  return { ...view, secret };
}

/**
 * Queues a signed `webhook.test` delivery to this subscription only (paused or not): it goes
 * through the worker like any event, so its attempts show in the delivery log.
 */
export async function sendTestDelivery(tx: TenantTx, caller: Caller, id: string): Promise<WebhookDelivery> {
  const subscription = await selectSubscriptionForUpdate(tx, id);
  if (!subscription) throw notFound('webhook', id);
  const row = await insertTestDelivery(tx, id, (eventId) => ({
    id: String(eventId),
    type: 'webhook.test',
    entityType: 'webhook',
    entityId: id,
    occurredAt: new Date().toISOString(),
    data: { message: 'Test delivery from Yardmaster', requestedBy: caller.name },
  }));
  await recordAudit(tx, caller, { action: 'webhook.test_sent', entityType: 'webhook', entityId: id, after: { deliveryId: row.id } });
  return deliveryView(row);
}
