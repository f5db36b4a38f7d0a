import { createRemoteJWKSet } from 'jose';
import type { Config } from '../../config.js';
import type { TrustedIssuer } from './auth.verify.js';

type Discovery = { issuer: string; jwks_uri: string };

/**
 * The external issuer named by OIDC_ISSUER (Keycloak in production): its discovery document is read
 * at start and its JWKS fetched on demand, cached, and refetched when a token names an unknown key.
 */
export async function discoverIssuer(config: Config): Promise<TrustedIssuer> {
  const issuer = config.oidc.issuer;
  if (!issuer) throw new Error('OIDC_ISSUER is not set');
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let discovery: Discovery;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    discovery = (await response.json()) as Discovery;
  } catch (error) {
    throw new Error(`OIDC_ISSUER: cannot read ${url} (${(error as Error).message})`);
  }
  if (discovery.issuer !== issuer) {
    throw new Error(`OIDC_ISSUER: discovery names issuer "${discovery.issuer}", not "${issuer}"`);
  }
  return {
    issuer,
    audience: config.oidc.audience,
    keys: createRemoteJWKSet(new URL(discovery.jwks_uri), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 }),
    tenantClaim: config.oidc.tenantClaim,
    clientId: config.oidc.clientId,
    // Keycloak refuses unknown scopes; the audience comes from the client's audience mapper.
    scopes: 'openid profile email offline_access',
  };
}
