import { sql, type Selectable } from 'kysely';
import type { TenantTx } from '../../platform/db/index.js';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookSubscriptionsTable } from './notifications.tables.js';

export type SubscriptionRow = Selectable<WebhookSubscriptionsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type AttemptRow = Selectable<WebhookAttemptsTable>;

export function insertSubscription(
  tx: TenantTx,
  values: { url: string; event_types: string[]; secret: string; description: string | null },
): Promise<SubscriptionRow> {
  return tx.insertInto('webhook_subscriptions').values(values).returningAll().executeTakeFirstOrThrow();
}

export function selectSubscription(tx: TenantTx, id: string): Promise<SubscriptionRow | undefined> {
  return tx.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

export function selectSubscriptionsPage(
  tx: TenantTx,
  after: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<SubscriptionRow[]> {
  let query = tx.selectFrom('webhook_subscriptions').selectAll();
  if (after) query = query.where(sql<boolean>`(created_at, id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
  return query
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
}

export function selectSubscriptionForUpdate(tx: TenantTx, id: string): Promise<SubscriptionRow | undefined> {
  return tx.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function updateSubscription(
  tx: TenantTx,
  id: string,
  values: Partial<{ url: string; event_types: string[]; description: string | null; active: boolean }>,
): Promise<SubscriptionRow> {
  return tx
    .updateTable('webhook_subscriptions')
    .set((eb) => ({ ...values, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Replaces the signing secret; the version moves so a stale editor notices. */
export function updateSubscriptionSecret(tx: TenantTx, id: string, secret: string): Promise<SubscriptionRow> {
  return tx
    .updateTable('webhook_subscriptions')
    .set((eb) => ({ secret, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Queues a test delivery for one subscription. Test deliveries take negative event ids (live
 * events are positive), one below the subscription's lowest, so `(subscription, event)` stays
 * unique; the caller holds the subscription row locked, which serialises two tests.
 */
export async function insertTestDelivery(
  tx: TenantTx,
  subscriptionId: string,
  payloadOf: (eventId: number) => Record<string, unknown>,
): Promise<DeliveryRow> {
  const { rows } = await sql<{ next: string }>`
    select least(coalesce(min(event_id), 0), 0) - 1 as next from webhook_deliveries where subscription_id = ${subscriptionId} and event_id < 0`.execute(
    tx,
  );
  const eventId = Number(rows[0]?.next ?? -1);
  return tx
    .insertInto('webhook_deliveries')
    .values({ subscription_id: subscriptionId, event_id: eventId, event_type: 'webhook.test', payload: JSON.stringify(payloadOf(eventId)) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSubscription(tx: TenantTx, id: string): Promise<SubscriptionRow | undefined> {
  return tx.deleteFrom('webhook_subscriptions').where('id', '=', id).returningAll().executeTakeFirst();
}

export function selectDeliveriesPage(
  tx: TenantTx,
  subscriptionId: string,
  status: DeliveryRow['status'] | undefined,
  before: { createdAt: string; id: string } | undefined,
  limit: number,
): Promise<DeliveryRow[]> {
  let query = tx.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', subscriptionId);
  if (status) query = query.where('status', '=', status);
  if (before) query = query.where(sql<boolean>`(created_at, id) < (${before.createdAt}::timestamptz, ${before.id}::uuid)`);
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
}

export function selectDelivery(tx: TenantTx, id: string): Promise<DeliveryRow | undefined> {
  return tx.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export function selectAttempts(tx: TenantTx, deliveryId: string): Promise<AttemptRow[]> {
  return tx.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();
}

/** Puts a delivery back in the queue with a fresh attempt budget (its attempt log stays). */
export function updateDeliveryForReplay(tx: TenantTx, id: string): Promise<DeliveryRow | undefined> {
  return tx
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()`, delivered_at: null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export type ClaimedDelivery = Pick<DeliveryRow, 'id' | 'subscription_id' | 'event_id' | 'event_type' | 'payload' | 'attempts'> & {
  url: string;
  secret: string;
};

/**
 * Claims due deliveries: `for update skip locked` so concurrent workers (other instances) take
 * different rows, and a lease (next_attempt_at pushed ahead) so the claim survives this short
 * transaction while the HTTP call runs outside it.
 */
export async function claimDueDeliveries(tx: TenantTx, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery>`
    update webhook_deliveries d
       set next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
      from (select id from webhook_deliveries
             where status = 'pending' and next_attempt_at <= now()
             order by next_attempt_at
             limit ${limit}
             for update skip locked) due,
           webhook_subscriptions s
     where d.id = due.id and s.id = d.subscription_id
    returning d.id, d.subscription_id, d.event_id, d.event_type, d.payload, d.attempts, s.url, s.secret`.execute(tx);
  return rows;
}

export async function insertAttempt(
  tx: TenantTx,
  attempt: { delivery_id: string; status_code: number | null; error: string | null; duration_ms: number },
): Promise<void> {
  await tx.insertInto('webhook_attempts').values(attempt).execute();
}

export async function updateDeliveryOutcome(
  tx: TenantTx,
  id: string,
  outcome: { delivered: true } | { delivered: false; error: string; dead: boolean; retryInMs: number },
): Promise<void> {
  const base = tx.updateTable('webhook_deliveries').where('id', '=', id).where('status', '=', 'pending');
  if (outcome.delivered) {
    await base
      .set((eb) => ({ status: 'delivered', attempts: eb('attempts', '+', 1), delivered_at: new Date(), last_error: null }))
      .execute();
    return;
  }
  await base
    .set((eb) => ({
      status: outcome.dead ? 'dead' : 'pending',
      attempts: eb('attempts', '+', 1),
      last_error: outcome.error.slice(0, 1000),
      next_attempt_at: sql<Date>`now() + make_interval(secs => ${outcome.retryInMs / 1000})`,
    }))
    .execute();
}
