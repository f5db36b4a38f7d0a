import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { MfaSettings } from '@yardmaster/contracts';
import { withTenant, type ControlTables } from '../../platform/db/index.js';
import { AppError } from '../../platform/errors.js';
import { accessOf } from '../../platform/http/access.js';
import { AMR_OTP, mfaSettings } from './mfa.js';

export const MFA_REQUIRED_TYPE = '/problems/auth/mfa-required';

export const mfaRequired = (roles: readonly string[]): AppError =>
  new AppError(
    403,
    MFA_REQUIRED_TYPE,
    'Two-step sign-in required',
    `your organisation requires two-step sign-in (MFA) for the role${roles.length > 1 ? 's' : ''} ${roles.join(', ')}; sign out and sign in again to set it up`,
  );

/** How long a tenant's MFA setting is trusted by this instance (a change applies within this time). */
const SETTINGS_TTL_MS = 5_000;

/**
 * Refuses tenant routes to people of the embedded provider who signed in without a second factor
 * when their tenant requires MFA for every role that lets them through (403 mfa-required). Only
 * tokens that say how the person signed in (`amr`, which the embedded provider sets for people)
 * are checked: service accounts (client credentials) have no interactive sign-in, and external
 * providers apply their own MFA policy. Runs after access control (which set `request.actor`).
 */
export function registerMfaGuard(app: FastifyInstance, db: Kysely<ControlTables>, issuer: string) {
  const cache = new Map<string, { at: number; settings: MfaSettings }>();
  async function settingsOf(slug: string): Promise<MfaSettings> {
    const hit = cache.get(slug);
    if (hit && Date.now() - hit.at < SETTINGS_TTL_MS) return hit.settings;
    const settings = await withTenant(db, slug, (tx) => mfaSettings.read(tx));
    cache.set(slug, { at: Date.now(), settings });
    return settings;
  }
  app.addHook('onRequest', async (request) => {
    const access = accessOf(request.routeOptions.config);
    const actor = request.actor;
    if (typeof access !== 'object' || !actor?.tenant || actor.issuer !== issuer || !actor.amr || actor.amr.includes(AMR_OTP)) return;
    const granting = actor.roles.filter((role) => access.roles.includes(role));
    if (granting.length === 0) return;
    const { requiredRoles } = await settingsOf(actor.tenant.slug);
    if (granting.every((role) => requiredRoles.includes(role))) throw mfaRequired(granting);
  });
  return { forget: (slug: string) => cache.delete(slug) };
}
