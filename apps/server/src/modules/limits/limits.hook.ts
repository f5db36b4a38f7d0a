import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Plan } from '@yardmaster/contracts';
import { accessOf, type Actor } from '../../platform/http/access.js';
import type { PlanBook } from './plans.js';
import type { RateBuckets, RequestBuckets } from './rate-buckets.js';
import { tooManyRequests } from './too-many-requests.js';

/** A short, fixed-length key for a user: issuer and subject together name one person. */
export function userKeyOf(actor: Actor): string {
  const who = createHash('sha256').update(`${actor.issuer}\n${actor.subject}`).digest('base64url').slice(0, 22);
  return `u:${actor.tenant?.slug ?? '-'}:${who}`;
}

export function bucketsOf(actor: Actor, plan: Plan): RequestBuckets {
  return {
    user: { key: userKeyOf(actor), scope: 'user', perSecond: plan.userPerSecond, burst: plan.userBurst },
    tenant: actor.tenant
      ? { key: `t:${actor.tenant.slug}`, scope: 'tenant', perSecond: plan.tenantPerSecond, burst: plan.tenantBurst }
      : null,
  };
}

async function check(request: FastifyRequest, reply: FastifyReply, plans: PlanBook, buckets: RateBuckets): Promise<void> {
  const actor = request.actor;
  if (!actor) return;
  const plan = actor.tenant ? await plans.planOf(actor.tenant.slug) : plans.defaultPlan;
  const verdict = await buckets.take(bucketsOf(actor, plan));
  const { tightest } = verdict;
  reply.header('ratelimit-limit', String(tightest.burst));
  reply.header('ratelimit-remaining', String(tightest.remaining));
  reply.header('ratelimit-reset', String(Math.ceil(tightest.resetS)));
  if (verdict.allowed) return;
  const which =
    tightest.scope === 'tenant'
      ? `your tenant's limit of ${plan.tenantPerSecond} requests per second (burst ${plan.tenantBurst})`
      : `your limit of ${plan.userPerSecond} requests per second (burst ${plan.userBurst})`;
  throw tooManyRequests(
    reply,
    verdict.retryAfterS,
    'rate-limited',
    `${which} on plan "${plan.name}" is used up; retry after the time in Retry-After`,
  );
}

/**
 * Per-user and per-tenant rate limits on every authenticated route. Runs after the access-control
 * hook (registered after it, on the root), so the caller is known; public routes (health, metrics,
 * docs, the identity provider) are not limited here.
 */
export function registerRateLimitHook(app: FastifyInstance, plans: PlanBook, buckets: RateBuckets): void {
  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request.routeOptions.config);
    if (access === undefined || access === 'public') return;
    await check(request, reply, plans, buckets);
  });
}
