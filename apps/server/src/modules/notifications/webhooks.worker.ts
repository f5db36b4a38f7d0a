import { foreignKeyViolationOf, listTenants, withTenant, type Database } from '../../platform/db/index.js';
import { outboundRefusalOf, type Outbound } from '../../platform/net/outbound.js';
import { schedule, type SchedulerLog } from '../../platform/scheduler.js';
import { onLocalWake, WEBHOOKS_CHANNEL } from './publish.js';
import { createListener, type Listener } from './listener.js';
import { TICK_MS } from './live.hub.js';
import type { NotificationsSettings } from './settings.js';
import { claimDueDeliveries, insertAttempt, updateDeliveryOutcome, type ClaimedDelivery } from './webhooks.repo.js';
import { signWebhook } from './webhooks.signature.js';

export type WebhookWorker = {
  start: () => void;
  stop: () => Promise<void>;
  /** Looks for due deliveries of a tenant now (after a publish or a replay). */
  wake: (slug: string) => void;
};

const BATCH = 20;
/** Deliveries an instance sends at once (each waits at most `webhookTimeoutMs` for its receiver). */
const MAX_IN_FLIGHT = 64;

/** Exponential backoff: base · 2^(attempt-1), capped. */
export const backoffMs = (settings: NotificationsSettings, attempt: number): number =>
  Math.min(settings.webhookBackoffMs * 2 ** Math.max(0, attempt - 1), settings.webhookMaxBackoffMs);

/**
 * What the delivery log says about a failed attempt. Only generic words: the log is shown to tenant
 * admins, and details (connection refused vs. timed out vs. TLS) would make it a port scanner.
 */
export const DELIVERY_ERRORS = {
  unreachable: 'the receiver could not be reached',
  refused: 'the receiver address is not allowed for outbound calls',
} as const;

export function createWebhookWorker(
  database: Database,
  settings: NotificationsSettings,
  outbound: Outbound,
  log: SchedulerLog,
): WebhookWorker {
  let stopped = true;
  let stopPoll: (() => void) | null = null;
  let listener: Listener | null = null;
  let unsubscribeLocal: (() => void) | null = null;
  const inFlight = new Set<AbortController>();
  const sending = new Set<Promise<void>>();
  /** Tenants to look at: null entry = all tenants (the poll). */
  const pending = new Set<string | null>();
  let running: Promise<void> | null = null;

  async function send(delivery: ClaimedDelivery): Promise<{ statusCode: number | null; error: string | null }> {
    const body = JSON.stringify(delivery.payload);
    const controller = new AbortController();
    inFlight.add(controller);
    const timeout = setTimeout(
      () => controller.abort(new Error(`no answer within ${settings.webhookTimeoutMs} ms`)),
      settings.webhookTimeoutMs,
    );
    try {
      const response = await outbound.fetch(delivery.url, {
        method: 'POST',
        body,
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Yardmaster-Webhooks/1',
          'x-yardmaster-signature': signWebhook(delivery.secret, body, Math.floor(Date.now() / 1000)),
          'x-yardmaster-event': delivery.event_type,
          'x-yardmaster-delivery': delivery.id,
          'idempotency-key': String(delivery.event_id),
        },
      });
      await response.body?.cancel().catch(() => undefined); // the answer's body is not read: a receiver cannot make us buffer it
      if (response.status >= 200 && response.status < 300) return { statusCode: response.status, error: null };
      return { statusCode: response.status, error: `receiver answered ${response.status}` };
    } catch (error) {
      return { statusCode: null, error: outboundRefusalOf(error) ? DELIVERY_ERRORS.refused : DELIVERY_ERRORS.unreachable };
    } finally {
      clearTimeout(timeout);
      inFlight.delete(controller);
    }
  }

  async function deliverOne(slug: string, delivery: ClaimedDelivery): Promise<void> {
    const started = Date.now();
    const result = await send(delivery);
    if (stopped && result.statusCode === null) return; // aborted by shutdown: the lease expires, another run retries
    const attempt = delivery.attempts + 1;
    const dead = result.error !== null && attempt >= settings.webhookMaxAttempts;
    await withTenant(database.db, slug, async (tx) => {
      await insertAttempt(tx, {
        delivery_id: delivery.id,
        status_code: result.statusCode,
        error: result.error,
        duration_ms: Date.now() - started,
      });
      await updateDeliveryOutcome(
        tx,
        delivery.id,
        result.error === null
          ? { delivered: true }
          : { delivered: false, error: result.error, dead, retryInMs: backoffMs(settings, attempt) },
      );
    }).catch((error: unknown) => {
      // The subscription (and with it the delivery) was deleted meanwhile: nothing left to record.
      if (foreignKeyViolationOf(error) === undefined) throw error;
    });
  }

  /**
   * Claims due deliveries while there is room and sends each on its own: a slow receiver holds
   * only its own deliveries (each up to the timeout, within its lease), never the next claim, the
   * other receivers or the other tenants. Each finished delivery looks for more.
   */
  async function runTenant(slug: string): Promise<void> {
    for (;;) {
      const room = Math.min(BATCH, MAX_IN_FLIGHT - sending.size);
      if (stopped || room <= 0) return;
      const claimed = await withTenant(database.db, slug, (tx) => claimDueDeliveries(tx, room, settings.webhookLeaseMs));
      for (const delivery of claimed) {
        // A delivery whose bookkeeping failed stays leased and is claimed again when the lease ends; say so.
        const sent: Promise<void> = deliverOne(slug, delivery)
          .catch((error: unknown) =>
            log.warn(
              { err: error, tenant: slug, delivery: delivery.id },
              'webhook delivery bookkeeping failed (sent again when its lease ends)',
            ),
          )
          .finally(() => {
            sending.delete(sent);
            kick(slug);
          });
        sending.add(sent);
      }
      if (claimed.length < room) return;
    }
  }

  async function drain(): Promise<void> {
    while (pending.size > 0 && !stopped) {
      const targets = [...pending];
      pending.clear();
      const slugs = targets.includes(null)
        ? (await listTenants(database.db)).filter((t) => t.archived_at === null).map((t) => t.slug)
        : (targets as string[]);
      for (const slug of new Set(slugs)) {
        if (stopped) return;
        await runTenant(slug).catch((error: unknown) =>
          log.warn({ err: error, tenant: slug }, 'webhook claim failed for a tenant (tried again at the next poll)'),
        );
      }
    }
  }

  function kick(target: string | null): void {
    if (stopped) return;
    pending.add(target);
    running ??= drain()
      .catch((error: unknown) => log.warn({ err: error }, 'webhook worker pass failed (tried again at the next poll)'))
      .finally(() => {
        running = null;
        if (pending.size > 0) kick(null);
      });
  }

  return {
    wake: (slug) => kick(slug),
    start() {
      stopped = false;
      if (database.kind === 'postgres') {
        listener = createListener(
          database.url,
          [WEBHOOKS_CHANNEL],
          (_c, schema) => kick(schema.replace(/^t_/, '')),
          () => kick(null),
          log,
        );
      } else {
        unsubscribeLocal = onLocalWake((kind, schema) => {
          if (kind === 'webhooks') kick(schema.replace(/^t_/, ''));
        });
      }
      // A short tick re-reads `pollMs` each round (tests shorten it on a running app).
      let lastPoll = Date.now();
      stopPoll = schedule(
        'webhook poll',
        TICK_MS,
        log,
        () => {
          if (Date.now() - lastPoll < settings.pollMs) return;
          lastPoll = Date.now();
          kick(null);
        },
        { runNow: false },
      );
      kick(null);
    },
    async stop() {
      stopped = true;
      unsubscribeLocal?.();
      stopPoll?.();
      for (const controller of inFlight) controller.abort(new Error('shutting down'));
      await listener?.close();
      listener = null;
      await running;
      await Promise.all([...sending]);
    },
  };
}
