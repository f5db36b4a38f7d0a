import { randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Role } from '@yardmaster/contracts';
import type { TrustedIssuer } from '../../src/modules/auth/index.js';

export const TEST_ISSUER = 'https://idp.test/realms/yardmaster';
export const TEST_AUDIENCE = 'yardmaster';
export const TEST_CLIENT = 'yardmaster-web';

export type TestIdentity = {
  trusted: TrustedIssuer;
  publicJwk: JWK;
  /** A valid access token; `claims` and `options` override any part of it. */
  token: (
    who: { roles: Array<Role | 'operator'>; tenant?: string | null; sub?: string; name?: string },
    claims?: Record<string, unknown>,
    options?: { expiresIn?: string | number; notBefore?: string | number; issuer?: string; audience?: string },
  ) => Promise<string>;
};

/**
 * A stand-in identity provider at the process boundary: a real RS256 key pair whose public half is
 * the trusted JWKS, issuing tokens shaped like Keycloak's.
 */
export async function createTestIdentity(): Promise<TestIdentity> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const trusted: TrustedIssuer = {
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    keys: createLocalJWKSet({ keys: [publicJwk] }),
    tenantClaim: 'org',
    clientId: TEST_CLIENT,
  };
  return {
    trusted,
    publicJwk,
    async token(who, claims = {}, options = {}) {
      const sub = who.sub ?? randomUUID();
      let jwt = new SignJWT({
        realm_access: { roles: who.roles },
        ...(who.tenant ? { org: who.tenant } : {}),
        name: who.name ?? `Test ${who.roles.join('+')}`,
        email: `${sub}@example.test`,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(options.issuer ?? TEST_ISSUER)
        .setAudience(options.audience ?? TEST_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m');
      if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
      return jwt.sign(privateKey);
    },
  };
}
