import type { ColumnType, Generated } from 'kysely';

export type LocalUsersTable = {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string | null;
  tenant_slug: string | null;
  roles: ColumnType<string[], string[] | undefined, string[]>;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type AccountTokenPurpose = 'invitation' | 'reset' | 'signin';

export type AccountTokensTable = {
  id: Generated<string>;
  user_id: string;
  tenant_slug: string | null;
  purpose: AccountTokenPurpose;
  token_hash: string;
  expires_at: ColumnType<Date, Date, Date>;
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  revoked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Generated<Date>;
};

export type TenantIssuersTable = {
  id: Generated<string>;
  tenant_slug: string;
  issuer: string;
  audience: string;
  client_id: string | null;
  role_mapping: ColumnType<Record<string, string>, string | undefined, string>;
  region_claim: Generated<string>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type TenantIssuerDomainsTable = {
  domain: string;
  issuer_id: string;
  tenant_slug: string;
  created_at: Generated<Date>;
};

export type OidcPayloadsTable = {
  model: string;
  id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: ColumnType<Date | null, Date | null, Date | null>;
  consumed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
};

/* eslint-disable @typescript-eslint/consistent-type-definitions -- declaration merging */
declare module '../../platform/db/tables.js' {
  interface ControlTables {
    'control.local_users': LocalUsersTable;
    'control.tenant_issuers': TenantIssuersTable;
    'control.tenant_issuer_domains': TenantIssuerDomainsTable;
    'control.oidc_payloads': OidcPayloadsTable;
    'control.account_tokens': AccountTokensTable;
  }
  // A tenant's admins register its own identity providers; row-level security keeps them to their rows.
  interface TenantTables {
    'control.tenant_issuers': TenantIssuersTable;
    'control.tenant_issuer_domains': TenantIssuerDomainsTable;
    // Invitations: a tenant's admins create its accounts and their links (row-level security).
    'control.local_users': LocalUsersTable;
    'control.account_tokens': AccountTokensTable;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */

export type AccountSessionEndReason = 'signed_out' | 'signed_out_everywhere' | 'forced' | 'deactivated' | 'replaced';

export type AccountSessionsTable = {
  id: Generated<string>;
  user_id: string;
  tenant_slug: string | null;
  grant_id: string;
  session_uid: string | null;
  user_agent: string | null;
  source_ip: string | null;
  signed_in_at: Generated<Date>;
  last_used_at: Generated<Date>;
  ended_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  end_reason: ColumnType<AccountSessionEndReason | null, AccountSessionEndReason | null | undefined, AccountSessionEndReason | null>;
};

/* eslint-disable @typescript-eslint/consistent-type-definitions -- declaration merging */
declare module '../../platform/db/tables.js' {
  interface ControlTables {
    'control.account_sessions': AccountSessionsTable;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */
