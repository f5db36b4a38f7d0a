import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '@yardmaster/contracts';
import type { Caller } from '../caller.js';
import { AppError, forbidden, unauthorized } from '../errors.js';

/**
 * Who may call a route. Every route declares one; a route without a declaration fails at start-up.
 *  - 'public': anyone (health, metrics, docs, the identity provider's own endpoints).
 *  - 'authenticated': any verified token, tenant member or operator.
 *  - 'operator': the platform operator (creates tenants).
 *  - { roles }: a member of the caller's tenant holding one of these roles.
 */
export type Access = 'public' | 'authenticated' | 'operator' | { roles: readonly Role[] };

export type ActorTenant = { id: string; slug: string; timeZone: string };

export type Actor = {
  subject: string;
  name: string;
  email: string | null;
  roles: Role[];
  isOperator: boolean;
  tenant: ActorTenant | null;
  issuer: string;
  /** Region codes from the membership or the tenant provider's region claim (empty: not limited). */
  regions?: readonly string[];
  /** How the person signed in (the token's `amr`, RFC 8176), when the token says: `pwd`, `otp`… */
  amr?: readonly string[];
};

/** Verifies the request's credentials; throws a 401 AppError when they are missing or invalid. */
export type Authenticator = (request: FastifyRequest) => Promise<Actor>;

/* eslint-disable @typescript-eslint/consistent-type-definitions -- augmenting Fastify's interfaces */
declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */

/** Routes that plugins register without our declarations (Swagger UI's assets). */
const UNDECLARED_PUBLIC_PREFIXES = ['/docs'];

export function accessOf(config: unknown): Access | undefined {
  return (config as { access?: Access } | undefined)?.access;
}

export function registerAccessControl(app: FastifyInstance, authenticate: Authenticator): void {
  app.decorateRequest('actor', null);
  app.addHook('onRoute', (route) => {
    if (UNDECLARED_PUBLIC_PREFIXES.some((p) => route.url.startsWith(p))) return;
    if (accessOf(route.config) === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access; add config.access`);
    }
  });
  app.addHook('onRequest', async (request) => {
    const access = accessOf(request.routeOptions.config);
    if (access === undefined || access === 'public') return;
    const actor = await authenticate(request);
    request.actor = actor;
    if (access === 'authenticated') {
      if (!actor.isOperator && (actor.tenant === null || actor.roles.length === 0)) {
        throw forbidden('your account has no role in any tenant');
      }
      return;
    }
    if (access === 'operator') {
      if (!actor.isOperator) throw forbidden('this action needs the platform operator role');
      return;
    }
    if (actor.tenant === null) throw forbidden('your token names no tenant you belong to');
    if (!actor.roles.some((role) => access.roles.includes(role))) {
      throw forbidden(`this action needs one of the roles: ${access.roles.join(', ')}`);
    }
  });
}

/** The authenticated caller of a tenant route (its access declaration guarantees a tenant). */
export function tenantActor(request: FastifyRequest): Actor & { tenant: ActorTenant } {
  const actor = request.actor;
  if (!actor) throw unauthorized('authentication required');
  if (!actor.tenant) throw new AppError(403, '/problems/forbidden', 'Forbidden', 'your token names no tenant you belong to');
  return actor as Actor & { tenant: ActorTenant };
}

/** Header and claim text bound for the audit trail: PostgreSQL text cannot hold NUL. */
const withoutNul = (value: string): string => value.replaceAll('\u0000', '');

/** The caller of a tenant route as services and the audit trail see it. */
export function callerOf(request: FastifyRequest): Caller {
  const actor = tenantActor(request);
  const agent = request.headers['user-agent'];
  return {
    kind: 'user',
    subject: actor.subject,
    name: withoutNul(actor.name),
    roles: actor.roles,
    tenantSlug: actor.tenant.slug,
    requestId: String(request.id),
    sourceIp: withoutNul(request.ip),
    userAgent: typeof agent === 'string' ? withoutNul(agent).slice(0, 500) : null,
    ...(actor.regions && actor.regions.length > 0 ? { regions: actor.regions } : {}),
  };
}

/** The platform operator acting on one tenant (e.g. inviting its first admin), for its audit trail. */
export function operatorCallerOf(request: FastifyRequest, tenantSlug: string): Caller {
  const actor = request.actor;
  if (!actor?.isOperator) throw forbidden('this action needs the platform operator role');
  const agent = request.headers['user-agent'];
  return {
    kind: 'user',
    subject: actor.subject,
    name: withoutNul(actor.name),
    roles: ['operator'],
    tenantSlug,
    requestId: String(request.id),
    sourceIp: withoutNul(request.ip),
    userAgent: typeof agent === 'string' ? withoutNul(agent).slice(0, 500) : null,
  };
}
