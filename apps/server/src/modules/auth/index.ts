export {
  createAuthenticator,
  tenantResolverFor,
  verifyAccessToken,
  rolesOf,
  mappedRolesOf,
  ALLOWED_ALGORITHMS,
  type TrustedIssuer,
  type AuthenticatorOptions,
} from './auth.verify.js';
export { discoverIssuer } from './auth.issuer.js';
export {
  createEmbeddedIdentity,
  linkAnnouncer,
  accountLinkMail,
  EMBEDDED_CLIENT_ID,
  WEB_SCOPES,
  type EmbeddedIdentity,
} from './auth.embedded.js';
export { accountOfEmail, createMemberInvitations, createOperatorAccount, ensureInvitedAccount, type LinkAnnouncer } from './invitations.js';
export { passwordProblems } from './password-policy.js';
export { authRoutes } from './auth.routes.js';
export { accountsRoutes } from './accounts.routes.js';
export { createMemberAccounts } from './member-accounts.js';
export { createIssuerKeys, type TenantIssuerKeyOptions } from './tenant-issuers.js';
export { ensureLocalUser as ensureLocalUserForSeed } from './local-users.js';
export { DEMO_USERS, DEMO_OPERATOR, DEMO_DRIVER_SUBJECT, seedDemoUsers, demoLoginLines } from './demo-users.js';
export { findPersonAccount, eraseAccount } from './personal-data.js';
export { mfaRoutes } from './mfa.routes.js';
export { registerMfaGuard, MFA_REQUIRED_TYPE } from './mfa-guard.js';
export { mfaSettings, ACR_MFA, ACR_PASSWORD } from './mfa.js';
