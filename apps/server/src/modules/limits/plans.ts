import type { Kysely } from 'kysely';
import type { Plan, PlanLimits } from '@yardmaster/contracts';
import type { ControlTables } from '../../platform/db/index.js';
import './limits.tables.js';

export type PlanSettings = { defaultPlan: string; plans: Readonly<Record<string, PlanLimits>> };

/**
 * Which plan each tenant is on: `control.tenant_plans`, else the default plan. Looked up once per
 * tenant per `ttlMs` and instance, so a change reaches every instance within that time (at once on
 * the instance that made it).
 */
export function createPlanBook(db: Kysely<ControlTables>, settings: PlanSettings, ttlMs = 10_000) {
  const cache = new Map<string, { at: number; plan: Plan }>();
  const planNamed = (name: string): Plan | undefined => {
    const limits = settings.plans[name];
    return limits ? { name, ...limits } : undefined;
  };
  const defaultPlan = planNamed(settings.defaultPlan) as Plan;

  return {
    defaultPlan,
    planNamed,
    all: (): Plan[] => Object.keys(settings.plans).map((name) => planNamed(name) as Plan),
    async planOf(tenantSlug: string): Promise<Plan> {
      const hit = cache.get(tenantSlug);
      if (hit && Date.now() - hit.at < ttlMs) return hit.plan;
      const row = await db.selectFrom('control.tenant_plans').select('plan').where('tenant_slug', '=', tenantSlug).executeTakeFirst();
      // A plan that the configuration no longer defines falls back to the default.
      const plan = (row && planNamed(row.plan)) || defaultPlan;
      cache.set(tenantSlug, { at: Date.now(), plan });
      return plan;
    },
    async setPlan(tenantSlug: string, plan: string, changedBy: string): Promise<void> {
      await db
        .insertInto('control.tenant_plans')
        .values({ tenant_slug: tenantSlug, plan, changed_by: changedBy })
        .onConflict((oc) => oc.column('tenant_slug').doUpdateSet({ plan, changed_by: changedBy, changed_at: new Date() }))
        .execute();
      cache.delete(tenantSlug);
    },
  };
}

export type PlanBook = ReturnType<typeof createPlanBook>;
