import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  type FetchImplementation,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { Kysely, Selectable } from 'kysely';
import type { RegisterTenantIssuer, TenantIssuer } from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { ControlTables, TenantTx } from '../../platform/db/index.js';
import { conflict, notFound, unauthorized, unprocessable } from '../../platform/errors.js';
import { createOutbound, outboundRefusalOf, type Outbound } from '../../platform/net/outbound.js';
import { recordAudit } from '../audit/index.js';
import type { TenantIssuersTable } from './auth.tables.js';
import './auth.tables.js';

type TenantIssuerRow = Selectable<TenantIssuersTable>;

// ---- repo ------------------------------------------------------------------------------------

export function selectTenantIssuersByIssuer(db: Kysely<ControlTables>, issuer: string): Promise<TenantIssuerRow[]> {
  return db.selectFrom('control.tenant_issuers').selectAll().where('issuer', '=', issuer).execute();
}

function selectTenantIssuers(tx: TenantTx): Promise<TenantIssuerRow[]> {
  return tx.selectFrom('control.tenant_issuers').selectAll().orderBy('created_at').execute();
}

// ---- use cases (tenant admins, in a tenant transaction) ---------------------------------------

export function tenantIssuerView(row: TenantIssuerRow): TenantIssuer {
  return {
    id: row.id,
    issuer: row.issuer,
    audience: row.audience,
    clientId: row.client_id,
    roleMapping: row.role_mapping as TenantIssuer['roleMapping'],
    regionClaim: row.region_claim,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export async function listTenantIssuers(tx: TenantTx): Promise<{ items: TenantIssuer[] }> {
  return { items: (await selectTenantIssuers(tx)).map(tenantIssuerView) };
}

/** Refuses (422, field `issuer`) an issuer whose address outbound calls may not reach. */
export async function assertIssuerReachable(outbound: Outbound, issuer: string): Promise<void> {
  try {
    await outbound.assertAllowed(issuer);
  } catch (error) {
    const refusal = outboundRefusalOf(error);
    if (!refusal) throw error;
    throw unprocessable('outbound-address-refused', `issuer: ${refusal.reason}`, [{ field: 'issuer', message: refusal.reason }]);
  }
}

export async function registerTenantIssuer(
  tx: TenantTx,
  caller: Caller,
  input: RegisterTenantIssuer,
  platformIssuer: string,
): Promise<TenantIssuer> {
  const issuer = input.issuer;
  if (issuer.replace(/\/$/, '') === platformIssuer.replace(/\/$/, '')) {
    throw conflict("the platform's own issuer is trusted already", [{ field: 'issuer', message: 'is the platform issuer' }]);
  }
  const row = await tx
    .insertInto('control.tenant_issuers')
    .values({
      tenant_slug: caller.tenantSlug,
      issuer,
      audience: input.audience,
      client_id: input.clientId ?? null,
      role_mapping: JSON.stringify(input.roleMapping),
      region_claim: input.regionClaim,
    })
    .onConflict((oc) => oc.columns(['issuer', 'audience']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw conflict('this issuer and audience are already registered', [{ field: 'audience', message: 'already registered' }]);
  const view = tenantIssuerView(row);
  await recordAudit(tx, caller, {
    action: 'identity_provider.registered',
    entityType: 'identity_provider',
    entityId: row.id,
    before: null,
    after: { ...view },
  });
  return view;
}

export async function removeTenantIssuer(tx: TenantTx, caller: Caller, id: string): Promise<void> {
  const row = await tx.deleteFrom('control.tenant_issuers').where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw notFound('identity provider', id);
  await recordAudit(tx, caller, {
    action: 'identity_provider.removed',
    entityType: 'identity_provider',
    entityId: row.id,
    before: { ...tenantIssuerView(row) },
    after: null,
  });
}

// ---- verification keys of registered issuers ---------------------------------------------------

export type TenantIssuerKeyOptions = {
  /** How long fetched keys are used before the JWKS is fetched again (default 10 min). */
  cacheMaxAgeMs?: number;
  /** How long the last keys fetched stay usable while the provider cannot be reached (default 6 h). */
  graceMs?: number;
  /** Timeout of discovery and JWKS requests (default 5 s). */
  timeoutMs?: number;
  /** The guard every discovery and JWKS request goes through (default: no private addresses). */
  outbound?: Outbound;
  /** After a failed fetch, no request is made for this long; doubles per failure (default 5 s … 5 min). */
  failureBackoffMs?: number;
  maxFailureBackoffMs?: number;
};

/** Whether a key lookup failed because the provider could not be reached (not because of the token). */
function isUnreachable(error: unknown): boolean {
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) return false;
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return true;
  // jose's own "Expected 200 OK" is a generic JOSEError; fetch and discovery failures are not JOSE errors.
  if (error instanceof joseErrors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return true;
}

/**
 * Key resolution for one registered issuer: discovery once, then jose's remote JWKS with caching.
 * If the provider cannot be reached, the last key set fetched stays usable for a bounded grace
 * period — signatures, issuer, audience and expiry are still checked with those keys.
 */
export function createIssuerKeys(issuer: string, options: TenantIssuerKeyOptions = {}): JWTVerifyGetKey {
  const cacheMaxAge = options.cacheMaxAgeMs ?? 10 * 60_000;
  const graceMs = options.graceMs ?? 6 * 3600_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const outbound = options.outbound ?? createOutbound();
  const backoffBase = options.failureBackoffMs ?? 5_000;
  const backoffMax = options.maxFailureBackoffMs ?? 5 * 60_000;
  const guardedFetch = ((url, init) => outbound.fetch(url, init)) as FetchImplementation;
  let remote: ReturnType<typeof createRemoteJWKSet> | undefined;
  let lastGood: { jwks: JSONWebKeySet; at: number } | undefined;
  // Negative cache: while the provider is failing, tokens naming it (junk ones included) cause no request.
  let failures = 0;
  let quietUntil = 0;

  async function remoteKeys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (remote) return remote;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await outbound.fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
    const discovery = (await response.json()) as { issuer?: string; jwks_uri?: string };
    if (discovery.issuer !== issuer) throw new Error(`discovery names issuer "${discovery.issuer ?? ''}"`);
    if (!discovery.jwks_uri) throw new Error('discovery has no jwks_uri');
    remote = createRemoteJWKSet(new URL(discovery.jwks_uri), {
      cacheMaxAge,
      cooldownDuration: Math.min(30_000, cacheMaxAge),
      timeoutDuration: timeoutMs,
      [customFetch]: guardedFetch,
    });
    return remote;
  }

  const unreachable = (header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1]) => {
    if (lastGood && Date.now() - lastGood.at <= graceMs) return createLocalJWKSet(lastGood.jwks)(header, token);
    throw unauthorized(`the identity provider ${issuer} cannot be reached to verify the token`);
  };

  return async (header, token) => {
    if (Date.now() < quietUntil) return unreachable(header, token);
    try {
      const keys = await remoteKeys();
      const key = await keys(header, token);
      const jwks = keys.jwks();
      if (jwks) lastGood = { jwks, at: Date.now() };
      failures = 0;
      return key;
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      failures += 1;
      quietUntil = Date.now() + Math.min(backoffBase * 2 ** (failures - 1), backoffMax);
      return unreachable(header, token);
    }
  };
}
