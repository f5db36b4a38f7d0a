import type { FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Kysely } from 'kysely';
import { RoleSchema, type Role } from '@yardmaster/contracts';
import { unauthorized } from '../../platform/errors.js';
import type { Actor, ActorTenant, Authenticator } from '../../platform/http/access.js';
import { findTenantBySlug, type ControlTables } from '../../platform/db/index.js';

export type TrustedIssuer = {
  issuer: string;
  audience: string;
  /** Resolves the signing key for a token header (remote JWKS with caching, or a local key set). */
  keys: JWTVerifyGetKey;
  /** Claim naming the tenant (Keycloak: a mapped attribute, default `org`). */
  tenantClaim: string;
  /** OIDC client whose `resource_access.<client>.roles` also grant roles. */
  clientId: string;
};

export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'];
const OPERATOR_ROLE = 'operator';

type KeycloakClaims = JWTPayload & {
  realm_access?: { roles?: unknown };
  resource_access?: Record<string, { roles?: unknown } | undefined>;
  name?: unknown;
  preferred_username?: unknown;
  email?: unknown;
};

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Roles from Keycloak's realm roles and the client's roles, as Yardmaster roles. */
export function rolesOf(claims: KeycloakClaims, clientId: string): { roles: Role[]; isOperator: boolean } {
  const names = new Set([...stringsOf(claims.realm_access?.roles), ...stringsOf(claims.resource_access?.[clientId]?.roles)]);
  const roles = [...names].flatMap((name) => {
    const parsed = RoleSchema.safeParse(name);
    return parsed.success ? [parsed.data] : [];
  });
  return { roles, isOperator: names.has(OPERATOR_ROLE) };
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not yet valid';
    if (error.claim === 'iss') return 'the token was issued by an untrusted issuer';
    if (error.claim === 'aud') return 'the token is not meant for this API (audience)';
    return `the token's "${error.claim}" claim is invalid`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not accepted';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'the token was signed by an unknown key';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  return 'the token could not be verified';
}

export function bearerTokenOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('an Authorization: Bearer token is required');
  const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header);
  if (!match?.[1]) throw unauthorized('the Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Verifies an access token against one trusted issuer: signature (RS256/ES256 only), issuer,
 * audience, expiry and not-before. Returns the verified claims or throws a 401.
 */
export async function verifyAccessToken(token: string, trusted: TrustedIssuer): Promise<KeycloakClaims> {
  try {
    const { payload } = await jwtVerify(token, trusted.keys, {
      issuer: trusted.issuer,
      audience: trusted.audience,
      algorithms: ALLOWED_ALGORITHMS,
      requiredClaims: ['sub', 'exp', 'iat'],
      clockTolerance: 5,
    });
    return payload;
  } catch (error) {
    throw unauthorized(describeJoseError(error));
  }
}

export type TenantResolver = (slug: string) => Promise<ActorTenant | undefined>;

/** Looks tenants up in the control schema, with a short cache. */
export function tenantResolverFor(db: Kysely<ControlTables>, ttlMs = 30_000): TenantResolver {
  const cache = new Map<string, { at: number; tenant: ActorTenant | undefined }>();
  return async (slug) => {
    const hit = cache.get(slug);
    if (hit && Date.now() - hit.at < ttlMs) return hit.tenant;
    const row = await findTenantBySlug(db, slug);
    const tenant = row ? { id: row.id, slug: row.slug, timeZone: row.time_zone } : undefined;
    cache.set(slug, { at: Date.now(), tenant });
    return tenant;
  };
}

/** Builds the request authenticator for the platform's access control. */
export function createAuthenticator(trusted: TrustedIssuer, resolveTenant: TenantResolver): Authenticator {
  return async (request) => {
    const claims = await verifyAccessToken(bearerTokenOf(request), trusted);
    const { roles, isOperator } = rolesOf(claims, trusted.clientId);
    const slug = claims[trusted.tenantClaim];
    let tenant: ActorTenant | null = null;
    if (typeof slug === 'string' && slug !== '') {
      tenant = (await resolveTenant(slug)) ?? null;
      if (!tenant) throw unauthorized(`the token names tenant "${slug}", which does not exist`);
    }
    const actor: Actor = {
      subject: claims.sub ?? '',
      name: typeof claims.name === 'string' ? claims.name : typeof claims.preferred_username === 'string' ? claims.preferred_username : (claims.sub ?? ''),
      email: typeof claims.email === 'string' ? claims.email : null,
      roles: tenant ? roles : [],
      isOperator,
      tenant,
      issuer: trusted.issuer,
    };
    return actor;
  };
}
