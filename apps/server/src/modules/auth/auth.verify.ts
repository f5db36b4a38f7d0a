import type { FastifyRequest } from 'fastify';
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Kysely } from 'kysely';
import { RoleSchema, type Role } from '@yardmaster/contracts';
import { AppError, forbidden, unauthorized } from '../../platform/errors.js';
import type { Actor, ActorTenant, Authenticator } from '../../platform/http/access.js';
import { findTenantBySlug, type ControlTables } from '../../platform/db/index.js';
import { findMembershipForSignIn, soleTenantOfSubject } from '../users/index.js';
import { findServiceAccountByClientId, isServiceAccountClientId } from '../integrations/index.js';
import type { Outbound } from '../../platform/net/outbound.js';
import { serviceAccountActorName } from './service-account-clients.js';
import { createIssuerKeys, selectTenantIssuersByIssuer, type TenantIssuerKeyOptions } from './tenant-issuers.js';
import { isGrantLive, rememberToForget, SESSION_CLAIM } from './ended-grants.js';

export type TrustedIssuer = {
  issuer: string;
  audience: string;
  /** Resolves the signing key for a token header (remote JWKS with caching, or a local key set). */
  keys: JWTVerifyGetKey;
  /** Claim naming the tenant (Keycloak: a mapped attribute, default `org`). */
  tenantClaim: string;
  /** OIDC client whose `resource_access.<client>.roles` also grant roles. */
  clientId: string;
  /** Scopes the web app asks for (default: the embedded provider's, which include its `api` resource scope). */
  scopes?: string;
};

export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'];
/** Clock difference tolerated between the issuer and this server (exp, nbf, iat). */
const CLOCK_SKEW_S = 5;
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
  if (error instanceof AppError) return error.detail;
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
      clockTolerance: CLOCK_SKEW_S,
    });
    // jose checks iat only against a maximum age; a token "issued" in the future is forged or
    // comes from an issuer whose clock is wrong: refuse it either way.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_SKEW_S) {
      throw unauthorized("the token is issued in the future (check the issuer's clock)");
    }
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

const toRoles = (names: Iterable<string>): Role[] =>
  [...new Set(names)].flatMap((name) => {
    const parsed = RoleSchema.safeParse(name);
    return parsed.success ? [parsed.data] : [];
  });

/** Role names a tenant's own provider put in the token, mapped to Yardmaster roles by its registration. */
export function mappedRolesOf(claims: KeycloakClaims, clientId: string, mapping: Record<string, string>): Role[] {
  const names = [
    ...stringsOf(claims.realm_access?.roles),
    ...stringsOf(claims.resource_access?.[clientId]?.roles),
    ...stringsOf((claims as { roles?: unknown }).roles),
    ...stringsOf((claims as { groups?: unknown }).groups),
  ];
  // A name the mapping does not mention maps to itself when it is a Yardmaster role name.
  return toRoles(names.map((name) => mapping[name] ?? name));
}

export type AuthenticatorOptions = {
  /** Enables tenant-registered issuers and memberships (control tables); without it only `trusted` counts. */
  db?: Kysely<ControlTables>;
  tenantIssuerKeys?: TenantIssuerKeyOptions;
  /** The guard for discovery and JWKS requests to tenant-registered issuers. */
  outbound?: Outbound;
  /**
   * The trusted issuer is the embedded provider: a token naming its sign-in session (grant) is
   * honoured only while that session lives (checked when the token is first seen, and again
   * once its cache entry lapses; ended sessions are dropped from this process's cache at once).
   */
  checkSessions?: boolean;
};

type Verified = {
  claims: KeycloakClaims;
  roles: Role[];
  isOperator: boolean;
  tenantSlug: string | null;
  issuer: string;
  fixedTenant: boolean;
  /** Region codes from a tenant provider's region claim (undefined: not that kind of token). */
  claimRegions?: string[];
};

/** Region codes a claim carries: a string (one code, or several separated by commas or spaces) or an array of strings. */
export function regionsOfClaim(value: unknown): string[] {
  const names = typeof value === 'string' ? value.split(/[\s,]+/) : stringsOf(value);
  return [...new Set(names.map((n) => n.trim()).filter((n) => n !== ''))].slice(0, 50);
}

/**
 * Verifies a token of a tenant-registered issuer. The tenant is the registration's, whatever the
 * token's tenant claim says (a token that names another tenant is refused); the platform operator
 * role is never granted this way.
 */
function tenantIssuerVerifier(db: Kysely<ControlTables>, tenantClaim: string, keyOptions: TenantIssuerKeyOptions = {}) {
  const keysByIssuer = new Map<string, JWTVerifyGetKey>();
  return async (token: string, issuer: string): Promise<Verified> => {
    const registrations = await selectTenantIssuersByIssuer(db, issuer);
    if (registrations.length === 0) throw unauthorized('the token was issued by an untrusted issuer');
    let keys = keysByIssuer.get(issuer);
    if (!keys) {
      keys = createIssuerKeys(issuer, keyOptions);
      keysByIssuer.set(issuer, keys);
    }
    let lastError: unknown;
    for (const registration of registrations) {
      try {
        const claims = await verifyAccessToken(token, {
          issuer,
          audience: registration.audience,
          keys,
          tenantClaim,
          clientId: registration.client_id ?? registration.audience,
        });
        const named = claims[tenantClaim];
        if (typeof named === 'string' && named !== '' && named !== registration.tenant_slug) {
          throw unauthorized(`the token names tenant "${named}", but its issuer is trusted for tenant "${registration.tenant_slug}" only`);
        }
        const roles = mappedRolesOf(claims, registration.client_id ?? registration.audience, registration.role_mapping);
        const claimRegions = regionsOfClaim(claims[registration.region_claim]);
        return { claims, roles, isOperator: false, tenantSlug: registration.tenant_slug, issuer, fixedTenant: true, claimRegions };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof AppError ? lastError : unauthorized('the token could not be verified');
  };
}

function issuerOf(token: string): string | undefined {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    throw unauthorized('the token is malformed');
  }
}

/** How long a verified token's signature check is reused (the token's own expiry still applies). */
const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKEN_ENTRIES = 20_000;

/**
 * Tokens of the trusted issuer whose signature was checked recently. A token is immutable, so the
 * same string verifies the same way until it expires: reusing the check saves an RSA/ECDSA
 * verification per request (measured: the largest CPU item of a board read). Entries keep the
 * verified claims for at most `VERIFIED_TOKEN_TTL_MS` (a key removed from the issuer's JWKS stops
 * being honoured within that), and never past the token's `exp` (plus the clock skew tolerated).
 */
function createVerifiedTokenCache() {
  const entries = new Map<string, { claims: KeycloakClaims; until: number }>();
  const cache = {
    /** Drops the tokens of ended sign-in sessions (see ended-grants.ts). */
    forgetGrants(grantIds: ReadonlySet<string>): void {
      for (const [token, entry] of entries) {
        const grant = entry.claims[SESSION_CLAIM];
        if (typeof grant === 'string' && grantIds.has(grant)) entries.delete(token);
      }
    },
    get(token: string): KeycloakClaims | undefined {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (Date.now() < entry.until) return entry.claims;
      entries.delete(token);
      return undefined;
    },
    put(token: string, claims: KeycloakClaims): KeycloakClaims {
      const now = Date.now();
      const expires = typeof claims.exp === 'number' ? claims.exp * 1000 + CLOCK_SKEW_S * 1000 : now;
      const until = Math.min(now + VERIFIED_TOKEN_TTL_MS, expires);
      if (until > now) {
        if (entries.size >= VERIFIED_TOKEN_ENTRIES) {
          // Drop the oldest tenth (Map keeps insertion order): bounded memory under many users.
          let drop = VERIFIED_TOKEN_ENTRIES / 10;
          for (const key of entries.keys()) {
            if (drop-- <= 0) break;
            entries.delete(key);
          }
        }
        entries.set(token, { claims, until });
      }
      return claims;
    },
  };
  rememberToForget(cache);
  return cache;
}

/**
 * Builds the request authenticator for the platform's access control.
 *
 * Roles: the token's roles apply unless the tenant has a membership row for the subject; then the
 * membership's roles replace them (tenant admins have the last word), and a deactivated membership
 * is refused with 403 whatever the token says. A pending invitation (e-mail only) is bound to the
 * subject at its first sign-in.
 */
export function createAuthenticator(
  trusted: TrustedIssuer,
  resolveTenant: TenantResolver,
  options: AuthenticatorOptions = {},
): Authenticator {
  const { db } = options;
  const verifyTenantIssuer = db
    ? tenantIssuerVerifier(db, trusted.tenantClaim, {
        ...(options.outbound ? { outbound: options.outbound } : {}),
        ...options.tenantIssuerKeys,
      })
    : undefined;
  const verifiedTokens = createVerifiedTokenCache();
  const verifyTrusted = async (token: string): Promise<KeycloakClaims> => {
    const claims = await verifyAccessToken(token, trusted);
    const grant = claims[SESSION_CLAIM];
    if (db && options.checkSessions && typeof grant === 'string' && !(await isGrantLive(db, grant))) {
      throw unauthorized('the session of this token has ended (signed out, or the account was deactivated)');
    }
    return claims;
  };
  return async (request) => {
    const token = bearerTokenOf(request);
    const issuer = issuerOf(token);
    let verified: Verified;
    if (issuer !== undefined && issuer !== trusted.issuer && verifyTenantIssuer) {
      verified = await verifyTenantIssuer(token, issuer);
    } else {
      const claims = verifiedTokens.get(token) ?? verifiedTokens.put(token, await verifyTrusted(token));
      const { roles, isOperator } = rolesOf(claims, trusted.clientId);
      const slug = claims[trusted.tenantClaim];
      verified = {
        claims,
        roles,
        isOperator,
        tenantSlug: typeof slug === 'string' && slug !== '' ? slug : null,
        issuer: trusted.issuer,
        fixedTenant: false,
      };
    }
    const { claims } = verified;
    const subject = claims.sub ?? '';
    const email =
      typeof claims.email === 'string' && (claims as { email_verified?: unknown }).email_verified !== false ? claims.email : null;

    // A service account's token (client-credentials grant at the embedded provider): its tenant and
    // roles are read from its row on every request, so a revoked account's tokens, however fresh
    // and whatever the signature cache holds, are refused from the next request on every instance.
    if (db && !verified.fixedTenant && isServiceAccountClientId(subject) && (claims as { client_id?: unknown }).client_id === subject) {
      const account = await findServiceAccountByClientId(db, subject);
      if (!account?.active) throw unauthorized('this service account has been revoked');
      const tenant = await resolveTenant(account.tenantSlug);
      if (!tenant || verified.tenantSlug !== account.tenantSlug) throw unauthorized("the token does not name the service account's tenant");
      return {
        subject,
        name: serviceAccountActorName(account.name),
        email: null,
        roles: account.roles,
        isOperator: false,
        tenant,
        issuer: verified.issuer,
      };
    }

    let slug = verified.tenantSlug;
    if (slug === null && db && !verified.fixedTenant) slug = (await soleTenantOfSubject(db, subject, verified.issuer)) ?? null;
    let tenant: ActorTenant | null = null;
    let roles = verified.roles;
    let regions: readonly string[] = verified.claimRegions ?? [];
    if (slug !== null) {
      tenant = (await resolveTenant(slug)) ?? null;
      if (!tenant) throw unauthorized(`the token names tenant "${slug}", which does not exist`);
      const membership = db ? await findMembershipForSignIn(db, { tenantSlug: slug, subject, issuer: verified.issuer, email }) : undefined;
      if (membership) {
        if (!membership.active) throw forbidden(`your membership of tenant "${slug}" has been deactivated`);
        roles = toRoles(membership.roles);
        // Region attributes set on the membership have the last word, as its roles do.
        if (membership.regions.length > 0) regions = membership.regions;
      }
    }
    const actor: Actor = {
      subject,
      name:
        typeof claims.name === 'string' ? claims.name : typeof claims.preferred_username === 'string' ? claims.preferred_username : subject,
      email: typeof claims.email === 'string' ? claims.email : null,
      roles: tenant ? roles : [],
      isOperator: verified.isOperator,
      tenant,
      issuer: verified.issuer,
      ...(tenant && regions.length > 0 ? { regions } : {}),
      ...(Array.isArray((claims as { amr?: unknown }).amr) ? { amr: stringsOf((claims as { amr?: unknown }).amr) } : {}),
    };
    return actor;
  };
}
