import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PlansSchema, SetTenantPlanSchema, TenantPlanSchema, TenantSlugSchema } from '@yardmaster/contracts';
import { findTenantBySlug, type Database } from '../../platform/db/index.js';
import { notFound, unauthorized, validationFailed } from '../../platform/errors.js';
import { tenantActor } from '../../platform/http/access.js';
import type { PlanBook } from './plans.js';

/** Plans: the operator lists them and puts a tenant on one; a tenant's members read their own. */
export function limitsRoutes(database: Database, plans: PlanBook, enabled: boolean, onPlanChange: () => void) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const Params = z.object({ slug: TenantSlugSchema });

    r.get(
      '/api/v1/limits',
      {
        config: { access: { roles: ['admin', 'dispatcher', 'driver', 'viewer'] } },
        schema: {
          tags: ['limits'],
          summary: "Your tenant's plan: request rates and live-stream caps",
          response: { 200: TenantPlanSchema },
        },
      },
      async (request) => {
        const slug = tenantActor(request).tenant.slug;
        return { tenant: slug, enabled, plan: await plans.planOf(slug) };
      },
    );
    r.get(
      '/api/v1/platform/plans',
      {
        config: { access: 'operator' },
        schema: { tags: ['platform'], summary: 'Rate-limit plans and their rates', response: { 200: PlansSchema } },
      },
      async () => ({ enabled, defaultPlan: plans.defaultPlan.name, items: plans.all() }),
    );
    r.get(
      '/api/v1/platform/tenants/:slug/plan',
      {
        config: { access: 'operator' },
        schema: { tags: ['platform'], summary: "A tenant's plan", params: Params, response: { 200: TenantPlanSchema } },
      },
      async (request) => {
        const { slug } = request.params;
        if (!(await findTenantBySlug(database.db, slug))) throw notFound('tenant', slug);
        return { tenant: slug, enabled, plan: await plans.planOf(slug) };
      },
    );
    r.put(
      '/api/v1/platform/tenants/:slug/plan',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['platform'],
          summary: 'Put a tenant on a plan (all instances follow within 10 s)',
          params: Params,
          body: SetTenantPlanSchema,
          response: { 200: TenantPlanSchema },
        },
      },
      async (request) => {
        const actor = request.actor;
        if (!actor) throw unauthorized('authentication required');
        const { slug } = request.params;
        const plan = plans.planNamed(request.body.plan);
        if (!plan) {
          const names = plans
            .all()
            .map((p) => p.name)
            .join(', ');
          throw validationFailed(`no plan "${request.body.plan}" (plans: ${names})`, [
            { field: 'plan', message: `unknown plan; one of ${names}` },
          ]);
        }
        if (!(await findTenantBySlug(database.db, slug))) throw notFound('tenant', slug);
        await plans.setPlan(slug, plan.name, actor.subject);
        onPlanChange();
        request.log.info({ tenant: slug, plan: plan.name, operator: actor.subject }, 'tenant plan changed');
        return { tenant: slug, enabled, plan };
      },
    );
  };
}
