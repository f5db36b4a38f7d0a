export { createAuthenticator, tenantResolverFor, verifyAccessToken, rolesOf, ALLOWED_ALGORITHMS, type TrustedIssuer } from './auth.verify.js';
export { discoverIssuer } from './auth.issuer.js';
