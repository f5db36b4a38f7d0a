import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Caller } from '../../platform/caller.js';
import { withTenant, type Database, type TenantTx } from '../../platform/db/index.js';
import { forEachTenant, schedule } from '../../platform/scheduler.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import { readLiveEventsAfter, type StoredLiveEvent } from '../notifications/index.js';
import { findDriverBySubject } from '../people/index.js';
import { endpointProblem } from './push.endpoint.js';
import type { VapidKeys } from './push.keys.js';
import type { Outbound } from '../../platform/net/outbound.js';

/** `outbound`: the platform's guard for outbound calls (OUTBOUND_ALLOW); each endpoint's resolved addresses are checked before sending. */
export type PushOptions = { keys: VapidKeys; allowPrivateEndpoints: boolean; outbound?: Outbound };
export type PushSubscriptionInput = { endpoint: string; keys: { p256dh: string; auth: string } };

/** What a driver is told, with the app closed: a new job, a recall, a change to their job. */
export function pushMessageOf(event: StoredLiveEvent): { title: string; body: string; tag: string; url: string } | null {
  const d = (event.data.dispatch ?? {}) as { id?: string; workOrderNumber?: string; recallReason?: string | null; priority?: string };
  const wo = d.workOrderNumber ?? 'a work order';
  const base = { tag: `dispatch-${d.id ?? event.entityId}`, url: '/driver' };
  switch (event.type) {
    case 'dispatch.dispatched':
      return { ...base, title: `New job: ${wo}`, body: 'Open the app for the machine, the site and the start time.' };
    case 'dispatch.recalled':
      return {
        ...base,
        title: `Job recalled: ${wo}`,
        body: d.recallReason ? `Reason: ${d.recallReason}` : 'The dispatcher recalled this job.',
      };
    case 'dispatch.reprioritised':
      return { ...base, title: `Job changed: ${wo}`, body: `Priority is now ${d.priority ?? 'changed'}.` };
    default:
      return null;
  }
}

async function driverOf(tx: TenantTx, caller: Caller): Promise<string> {
  const driver = await findDriverBySubject(tx, caller.subject);
  if (!driver) throw notFound('driver record for your account');
  return driver.id;
}

/** Stores (or moves to this driver) a browser's push subscription. */
export async function saveSubscription(tx: TenantTx, caller: Caller, input: PushSubscriptionInput, options: PushOptions): Promise<void> {
  const problem = endpointProblem(input.endpoint, options.allowPrivateEndpoints);
  if (problem) throw unprocessable('push-endpoint', problem, [{ field: 'endpoint', message: problem }]);
  const driverId = await driverOf(tx, caller);
  await sql`
    insert into push_subscriptions (driver_id, endpoint, p256dh, auth) values (${driverId}, ${input.endpoint}, ${input.keys.p256dh}, ${input.keys.auth})
    on conflict (endpoint) do update set driver_id = excluded.driver_id, p256dh = excluded.p256dh, auth = excluded.auth, failures = 0`.execute(
    tx,
  );
}

export async function deleteSubscription(tx: TenantTx, caller: Caller, endpoint: string): Promise<void> {
  const driverId = await driverOf(tx, caller);
  await sql`delete from push_subscriptions where endpoint = ${endpoint} and driver_id = ${driverId}`.execute(tx);
}

type Delivery = { subscriptionId: string; endpoint: string; p256dh: string; auth: string; payload: string };

/**
 * Sends the pushes for a tenant's new live events. The cursor row is claimed with SKIP LOCKED, so
 * of several instances one sends each event (at most once: a push that fails is not retried; the
 * driver sees the change on the next open). Returns how many pushes were accepted.
 */
export async function drainPush(database: Database, slug: string, options: PushOptions, log?: FastifyBaseLogger): Promise<number> {
  const deliveries = await withTenant(database.db, slug, async (tx) => {
    const cursor = (await sql<{ last_event_id: string }>`select last_event_id from push_cursor where id for update skip locked`.execute(tx))
      .rows[0];
    if (!cursor) return [];
    const events = await readLiveEventsAfter(tx, Number(cursor.last_event_id), 500);
    if (events.length === 0) return [];
    await sql`update push_cursor set last_event_id = ${events[events.length - 1]!.id} where id`.execute(tx);
    const out: Delivery[] = [];
    for (const event of events) {
      const message = pushMessageOf(event);
      if (!message || !event.driverIds?.length) continue;
      const subs = await sql<{ id: string; endpoint: string; p256dh: string; auth: string }>`
        select id, endpoint, p256dh, auth from push_subscriptions where driver_id = any(${event.driverIds}::uuid[])`.execute(tx);
      for (const s of subs.rows)
        out.push({ subscriptionId: s.id, endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth, payload: JSON.stringify(message) });
    }
    return out;
  });
  let sent = 0;
  for (const d of deliveries) {
    const ok = await sendOne(d, options).catch((error: unknown) => {
      log?.warn({ err: error, tenant: slug }, 'web push failed');
      return 'failed' as const;
    });
    if (ok === 'sent') sent++;
    await withTenant(database.db, slug, async (tx) => {
      if (ok === 'gone') await sql`delete from push_subscriptions where id = ${d.subscriptionId}`.execute(tx);
      else if (ok === 'sent')
        await sql`update push_subscriptions set last_sent_at = now(), failures = 0 where id = ${d.subscriptionId}`.execute(tx);
      else await sql`update push_subscriptions set failures = failures + 1 where id = ${d.subscriptionId}`.execute(tx);
    });
  }
  return sent;
}

/** One encrypted (aes128gcm), VAPID-signed request, sent with fetch (no redirects followed). */
async function sendOne(d: Delivery, options: PushOptions): Promise<'sent' | 'gone' | 'failed'> {
  if (endpointProblem(d.endpoint, options.allowPrivateEndpoints)) return 'gone';
  // The host as it resolves now must be one outbound calls may reach (private ranges only if OUTBOUND_ALLOW says so).
  await options.outbound?.assertAllowed(d.endpoint);
  // Loaded on first use: the server starts without it.
  const webpush = (await import('web-push')).default;
  const request = webpush.generateRequestDetails({ endpoint: d.endpoint, keys: { p256dh: d.p256dh, auth: d.auth } }, d.payload, {
    vapidDetails: { subject: options.keys.subject, publicKey: options.keys.publicKey, privateKey: options.keys.privateKey },
    TTL: 3600,
    urgency: 'high',
    contentEncoding: 'aes128gcm',
  });
  const response = await fetch(request.endpoint, {
    method: request.method,
    headers: request.headers as Record<string, string>,
    body: request.body ? new Uint8Array(request.body) : undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  if (response.status === 404 || response.status === 410) return 'gone';
  return response.status >= 200 && response.status < 300 ? 'sent' : 'failed';
}

export function startPushWorker(database: Database, options: PushOptions, log: FastifyBaseLogger, intervalMs: number): () => void {
  return schedule(
    'web push',
    intervalMs,
    log,
    () => forEachTenant(database.db, 'web push', log, (slug) => drainPush(database, slug, options, log)),
    { runNow: false },
  );
}
