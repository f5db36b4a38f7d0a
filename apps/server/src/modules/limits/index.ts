import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Database } from '../../platform/db/index.js';
import { schedule } from '../../platform/scheduler.js';
import { tenantActor } from '../../platform/http/access.js';
import { registerRateLimitHook, userKeyOf } from './limits.hook.js';
import { limitsRoutes } from './limits.routes.js';
import { createPlanBook, type PlanBook } from './plans.js';
import { createRateBuckets } from './rate-buckets.js';
import { createStreamSlots, defaultStreamSlotSettings, type StreamSlots, type StreamSlotSettings } from './stream-slots.js';
import { tooManyRequests } from './too-many-requests.js';

/**
 * The limits module's door: per-user and per-tenant request rates and live-stream caps, by tenant
 * plan, held in PostgreSQL so every instance shares them (docs/operations.md § Limits).
 *
 * `registerLimits(app, …)` is called on the root app right after access control (its hook needs
 * the caller). Streaming routes call `openStreamSlot(request, reply)` before they hijack the reply
 * and call the returned `release` when the stream ends.
 */
export type LimitsHandle = { plans: PlanBook; streams: StreamSlots; streamSettings: StreamSlotSettings; enabled: boolean };

const handles = new WeakMap<object, LimitsHandle>();

export function limitsOf(app: FastifyInstance): LimitsHandle {
  const handle = handles.get(app.server);
  if (!handle) throw new Error('the limits module is not registered on this app');
  return handle;
}

/**
 * Registers the rate-limit hook and the stream registry on the root app; returns the routes plugin
 * (plans API), which app.ts registers with the other modules (after OpenAPI, so they are documented).
 */
export function registerLimits(
  app: FastifyInstance,
  database: Database,
  config: Config,
): { routes: (scope: FastifyInstance) => Promise<void> } {
  const { enabled } = config.rateLimits;
  const plans = createPlanBook(database.db, config.rateLimits);
  const buckets = createRateBuckets(database.db);
  const streamSettings = defaultStreamSlotSettings();
  const streams = createStreamSlots(database.db, streamSettings, app.log);
  handles.set(app.server, { plans, streams, streamSettings, enabled });
  if (enabled) {
    registerRateLimitHook(app, plans, buckets);
    let stopHousekeeping: (() => void) | null = null;
    app.addHook('onReady', async () => {
      streams.start();
      stopHousekeeping = schedule('rate bucket sweep', 10 * 60_000, app.log, () => buckets.sweep(), { runNow: false });
    });
    app.addHook('onClose', async () => {
      stopHousekeeping?.();
      await streams.stop();
    });
  }
  return { routes: limitsRoutes(database, plans, enabled, () => buckets.forget()) };
}

const STREAM_RETRY_AFTER_S = 30;

/**
 * Takes a live-stream slot for the caller (user and tenant caps of the tenant's plan), or throws a
 * 429 with Retry-After. Returns the function that gives the slot back.
 */
export async function openStreamSlot(request: FastifyRequest, reply: FastifyReply): Promise<() => void> {
  const handle = limitsOf(request.server);
  if (!handle.enabled) return () => undefined;
  const actor = tenantActor(request);
  const plan = await handle.plans.planOf(actor.tenant.slug);
  const verdict = await handle.streams.acquire(actor.tenant.slug, userKeyOf(actor), { user: plan.userStreams, tenant: plan.tenantStreams });
  if (verdict.ok) return verdict.release;
  const detail =
    verdict.scope === 'user'
      ? `you already have ${verdict.open} live streams open (plan "${plan.name}" allows ${plan.userStreams} per user); close one first`
      : `your tenant already has ${verdict.open} live streams open (plan "${plan.name}" allows ${plan.tenantStreams})`;
  throw tooManyRequests(reply, STREAM_RETRY_AFTER_S, 'too-many-streams', detail);
}
