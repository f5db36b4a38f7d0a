import type { ColumnType, Generated } from 'kysely';

export type ServiceAccountsTable = {
  id: Generated<string>;
  tenant_slug: string;
  client_id: string;
  name: string;
  roles: ColumnType<string[], string[], string[]>;
  secret_hash: string;
  secret_rotated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_token_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Generated<Date>;
};

export type IdempotencyKeysTable = {
  operation: string;
  key: string;
  request_hash: string;
  actor_subject: string;
  status: number | null;
  body: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Generated<Date>;
};

/* eslint-disable @typescript-eslint/consistent-type-definitions -- declaration merging */
declare module '../../platform/db/tables.js' {
  interface ControlTables {
    'control.service_accounts': ServiceAccountsTable;
  }
  // Tenant transactions reach their own tenant's service accounts only (row-level security).
  interface TenantTables {
    'control.service_accounts': ServiceAccountsTable;
    idempotency_keys: IdempotencyKeysTable;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */
