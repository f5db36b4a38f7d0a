import { z } from 'zod';
import { TenantSlugSchema } from './common.js';

export const PlanNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'a plan name: a-z, 0-9, _ or -');

/** What a tenant plan allows: requests per second and bursts per user and per tenant, open live streams. */
export const PlanLimitsSchema = z.object({
  userPerSecond: z.number().positive().max(100_000),
  userBurst: z.number().int().min(1).max(1_000_000),
  tenantPerSecond: z.number().positive().max(1_000_000),
  tenantBurst: z.number().int().min(1).max(10_000_000),
  userStreams: z.number().int().min(1).max(100_000),
  tenantStreams: z.number().int().min(1).max(1_000_000),
});
export type PlanLimits = z.infer<typeof PlanLimitsSchema>;

export const PlanSchema = PlanLimitsSchema.extend({ name: PlanNameSchema });
export type Plan = z.infer<typeof PlanSchema>;

export const PlansSchema = z.object({ enabled: z.boolean(), defaultPlan: PlanNameSchema, items: z.array(PlanSchema) });

export const SetTenantPlanSchema = z.object({ plan: PlanNameSchema });
export type SetTenantPlan = z.infer<typeof SetTenantPlanSchema>;

/** A tenant's plan as its members and the operator see it. */
export const TenantPlanSchema = z.object({ tenant: TenantSlugSchema, enabled: z.boolean(), plan: PlanSchema });
export type TenantPlan = z.infer<typeof TenantPlanSchema>;
