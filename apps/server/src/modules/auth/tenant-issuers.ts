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
import type {
  ClientConfig,
  RegisterTenantIssuer,
  SignInOptions,
  SignInQuery,
  TenantIssuer,
  UpdateTenantIssuer,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import { findTenantBySlug, type ControlTables, type TenantTx } from '../../platform/db/index.js';
import { AppError, conflict, notFound, problemType, unauthorized, unprocessable } from '../../platform/errors.js';
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

export function tenantIssuerView(row: TenantIssuerRow, domains: readonly string[] = []): TenantIssuer {
  return {
    id: row.id,
    issuer: row.issuer,
    audience: row.audience,
    clientId: row.client_id,
    roleMapping: row.role_mapping as TenantIssuer['roleMapping'],
    regionClaim: row.region_claim,
    domains: [...new Set(domains)].sort(),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

async function domainsByIssuer(tx: TenantTx, ids: readonly string[]): Promise<Map<string, string[]>> {
  const byIssuer = new Map<string, string[]>();
  if (ids.length === 0) return byIssuer;
  const rows = await tx.selectFrom('control.tenant_issuer_domains').select(['issuer_id', 'domain']).where('issuer_id', 'in', ids).execute();
  for (const row of rows) byIssuer.set(row.issuer_id, [...(byIssuer.get(row.issuer_id) ?? []), row.domain]);
  return byIssuer;
}

export async function listTenantIssuers(tx: TenantTx): Promise<{ items: TenantIssuer[] }> {
  const rows = await selectTenantIssuers(tx);
  const domains = await domainsByIssuer(
    tx,
    rows.map((r) => r.id),
  );
  return { items: rows.map((row) => tenantIssuerView(row, domains.get(row.id))) };
}

/**
 * Declares e-mail domains for a registration. A domain another tenant declared first is refused
 * (409, field `domains`) and nothing is written: the caller's transaction rolls back.
 */
async function insertDomains(tx: TenantTx, tenantSlug: string, issuerId: string, domains: readonly string[]): Promise<void> {
  const wanted = [...new Set(domains)];
  if (wanted.length === 0) return;
  const inserted = await tx
    .insertInto('control.tenant_issuer_domains')
    .values(wanted.map((domain) => ({ domain, issuer_id: issuerId, tenant_slug: tenantSlug })))
    .onConflict((oc) => oc.column('domain').doNothing())
    .returning('domain')
    .execute();
  const taken = wanted.filter((d) => !inserted.some((row) => row.domain === d));
  if (taken.length > 0) {
    throw conflict(`${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} already declared by an organisation or another provider`, [
      { field: 'domains', message: `already declared: ${taken.join(', ')}` },
    ]);
  }
}

/** Domains route people to the web sign-in of a provider: that needs the web app's client id there. */
function assertDomainsHaveClient(domains: readonly string[], clientId: string | null | undefined): void {
  if (domains.length > 0 && !clientId) {
    throw unprocessable(
      'domains-need-client',
      'e-mail domains send people to this provider to sign in: give the client id of the web app there',
      [{ field: 'clientId', message: 'required when domains are declared' }],
    );
  }
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
  assertDomainsHaveClient(input.domains, input.clientId);
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
  await insertDomains(tx, caller.tenantSlug, row.id, input.domains);
  const view = tenantIssuerView(row, input.domains);
  await recordAudit(tx, caller, {
    action: 'identity_provider.registered',
    entityType: 'identity_provider',
    entityId: row.id,
    before: null,
    after: { ...view },
  });
  return view;
}

export async function updateTenantIssuer(tx: TenantTx, caller: Caller, id: string, input: UpdateTenantIssuer): Promise<TenantIssuer> {
  const current = await tx.selectFrom('control.tenant_issuers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!current) throw notFound('identity provider', id);
  const currentDomains = (await domainsByIssuer(tx, [id])).get(id) ?? [];
  const domains = input.domains ?? currentDomains;
  const clientId = input.clientId === undefined ? current.client_id : input.clientId;
  assertDomainsHaveClient(domains, clientId);
  const row = await tx
    .updateTable('control.tenant_issuers')
    .set({
      client_id: clientId,
      ...(input.roleMapping ? { role_mapping: JSON.stringify(input.roleMapping) } : {}),
      ...(input.regionClaim ? { region_claim: input.regionClaim } : {}),
      version: current.version + 1,
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.domains) {
    const removed = currentDomains.filter((d) => !domains.includes(d));
    if (removed.length > 0)
      await tx.deleteFrom('control.tenant_issuer_domains').where('issuer_id', '=', id).where('domain', 'in', removed).execute();
    await insertDomains(
      tx,
      caller.tenantSlug,
      id,
      domains.filter((d) => !currentDomains.includes(d)),
    );
  }
  const before = tenantIssuerView(current, currentDomains);
  const after = tenantIssuerView(row, domains);
  await recordAudit(tx, caller, {
    action: 'identity_provider.changed',
    entityType: 'identity_provider',
    entityId: id,
    before: { ...before },
    after: { ...after },
  });
  return after;
}

export async function removeTenantIssuer(tx: TenantTx, caller: Caller, id: string): Promise<void> {
  const domains = (await domainsByIssuer(tx, [id])).get(id) ?? [];
  const row = await tx.deleteFrom('control.tenant_issuers').where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw notFound('identity provider', id);
  await recordAudit(tx, caller, {
    action: 'identity_provider.removed',
    entityType: 'identity_provider',
    entityId: row.id,
    before: { ...tenantIssuerView(row, domains) },
    after: null,
  });
}

// ---- web sign-in through a tenant's own provider -------------------------------------------------

type ProviderEndpoints = { issuer: string; authorization_endpoint: string; token_endpoint: string; end_session_endpoint?: string };

const badGateway = (detail: string): AppError => new AppError(502, problemType('identity-provider-unreachable'), 'Bad gateway', detail);

/**
 * The endpoints of tenant-registered providers, from their discovery documents (through the
 * outbound guard, cached for 10 minutes; a failure is not cached).
 */
export function createProviderDiscovery(outbound: Outbound, ttlMs = 10 * 60_000, timeoutMs = 5_000) {
  const cache = new Map<string, { at: number; endpoints: ProviderEndpoints }>();
  return async (issuer: string): Promise<ProviderEndpoints> => {
    const hit = cache.get(issuer);
    if (hit && Date.now() - hit.at < ttlMs) return hit.endpoints;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: Partial<Record<keyof ProviderEndpoints, unknown>>;
    try {
      const response = await outbound.fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (error) {
      const refusal = outboundRefusalOf(error);
      throw badGateway(`the organisation's identity provider cannot be reached (${refusal ? refusal.reason : (error as Error).message})`);
    }
    const { authorization_endpoint: authorize, token_endpoint: token, end_session_endpoint: endSession } = document;
    if (document.issuer !== issuer || typeof authorize !== 'string' || typeof token !== 'string' || !/^https?:\/\//.test(authorize)) {
      throw badGateway("the organisation's identity provider answers discovery with a document for another issuer or without endpoints");
    }
    const endpoints: ProviderEndpoints = {
      issuer,
      authorization_endpoint: authorize,
      token_endpoint: token,
      ...(typeof endSession === 'string' ? { end_session_endpoint: endSession } : {}),
    };
    cache.set(issuer, { at: Date.now(), endpoints });
    return endpoints;
  };
}
export type ProviderDiscovery = ReturnType<typeof createProviderDiscovery>;

/** Scopes the web app asks a tenant's own provider for (the audience comes from the provider's client settings). */
export const ORGANISATION_SCOPES = 'openid profile email offline_access';

/** The registration the web app signs a tenant's people in with: the oldest one that names a client id. */
async function webRegistrationOf(db: Kysely<ControlTables>, tenantSlug: string): Promise<TenantIssuerRow | undefined> {
  return db
    .selectFrom('control.tenant_issuers')
    .selectAll()
    .where('tenant_slug', '=', tenantSlug)
    .where('client_id', 'is not', null)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
}

/** The path of the token relay of an organisation (the browser cannot always call its provider's token endpoint). */
export const tokenRelayPath = (slug: string): string => `/api/v1/sign-in/organisations/${slug}/token`;

/**
 * How the web app signs in a person of an organisation (named, or found from the e-mail's domain).
 * An e-mail whose domain no tenant declared, and an organisation without its own provider for the
 * web app, sign in with the platform's provider. An organisation that does not exist is a 404.
 */
export async function signInOptionsFor(
  db: Kysely<ControlTables>,
  query: SignInQuery,
  platform: ClientConfig,
  discover: ProviderDiscovery,
): Promise<SignInOptions> {
  const platformOptions = (organisation: SignInOptions['organisation']): SignInOptions => ({
    organisation,
    provider: 'platform',
    issuer: platform.issuer,
    clientId: platform.clientId,
    scopes: platform.scopes,
  });
  let registration: TenantIssuerRow | undefined;
  let slug: string;
  if (query.email !== undefined) {
    const domain = query.email.slice(query.email.lastIndexOf('@') + 1).toLowerCase();
    const declared = await db
      .selectFrom('control.tenant_issuer_domains as d')
      .innerJoin('control.tenant_issuers as i', 'i.id', 'd.issuer_id')
      .selectAll('i')
      .where('d.domain', '=', domain)
      .executeTakeFirst();
    if (!declared) return platformOptions(null);
    registration = declared;
    slug = declared.tenant_slug;
  } else {
    slug = query.org ?? '';
  }
  const tenant = await findTenantBySlug(db, slug);
  if (!tenant) throw notFound('organisation', slug);
  registration ??= await webRegistrationOf(db, slug);
  if (!registration?.client_id) return platformOptions({ slug, name: tenant.name });
  const endpoints = await discover(registration.issuer);
  return {
    organisation: { slug, name: tenant.name },
    provider: 'organisation',
    issuer: registration.issuer,
    clientId: registration.client_id,
    scopes: ORGANISATION_SCOPES,
    metadata: { ...endpoints, token_endpoint: tokenRelayPath(slug) },
  };
}

const RELAYED_FIELDS = ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'client_id', 'refresh_token', 'scope'] as const;

/**
 * Passes the web app's token request (authorization code + PKCE, or refresh) to the organisation's
 * provider and returns its answer. Only the web app's public client of that organisation is
 * relayed; nothing is added (no secret) and nothing is kept.
 */
export async function relayTokenRequest(
  db: Kysely<ControlTables>,
  slug: string,
  form: Partial<Record<(typeof RELAYED_FIELDS)[number], string>>,
  discover: ProviderDiscovery,
  outbound: Outbound,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const registration = (await findTenantBySlug(db, slug)) ? await webRegistrationOf(db, slug) : undefined;
  if (!registration?.client_id) throw notFound('organisation with its own identity provider', slug);
  if (form.client_id !== registration.client_id) {
    throw unprocessable('wrong-client', "client_id is not the web app's client at this organisation's provider", [
      { field: 'client_id', message: 'unknown client' },
    ]);
  }
  const { token_endpoint: tokenEndpoint } = await discover(registration.issuer);
  const body = new URLSearchParams();
  for (const field of RELAYED_FIELDS) {
    const value = form[field];
    if (value !== undefined) body.set(field, value);
  }
  let response: Response;
  try {
    response = await outbound.fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const refusal = outboundRefusalOf(error);
    throw badGateway(`the organisation's identity provider cannot be reached (${refusal ? refusal.reason : (error as Error).message})`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badGateway(`the organisation's identity provider answered the token request with HTTP ${response.status} and no JSON`);
  }
  return { status: response.status, body: parsed as Record<string, unknown> };
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
