import type { Migration } from '../../platform/db/migrator.js';
import * as tenants from './202611250300_platform_tenants.js';
import * as localUsers from './202611250400_auth_local_users.js';
import * as memberships from './202611250410_users_memberships.js';
import * as oidcPayloads from './202611250411_auth_oidc_payloads.js';
import * as limitsTables from './202612010300_limits_tables.js';
import * as loginFailures from './202612010301_auth_login_failures.js';
import * as tenantRoleFunction from './202612021000_platform_tenant_role_function.js';
import * as accountTokens from './202612021002_auth_account_tokens.js';
import * as membershipRegions from './202612027001_users_membership_regions.js';
import * as authMfa from './202612033001_auth_mfa.js';
import * as accountSessions from './202612034000_auth_account_sessions.js';
import * as serviceAccounts from './202612035001_integrations_service_accounts.js';
import * as tenantIssuerDomains from './202612036001_auth_tenant_issuer_domains.js';

/** Control-schema migrations in the order they run. Append only. */
export const controlMigrations: readonly Migration[] = [
  tenants,
  localUsers,
  memberships,
  oidcPayloads,
  limitsTables,
  loginFailures,
  tenantRoleFunction,
  accountTokens,
  membershipRegions,
  authMfa,
  accountSessions,
  serviceAccounts,
  tenantIssuerDomains,
];
