import type { ColumnType, Generated } from 'kysely';

export type MembershipsTable = {
  id: Generated<string>;
  tenant_slug: string;
  subject: string | null;
  issuer: string | null;
  email: string | null;
  name: Generated<string>;
  roles: ColumnType<string[], string[] | undefined, string[]>;
  regions: ColumnType<string[], string[] | undefined, string[]>;
  active: Generated<boolean>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
};

/* eslint-disable @typescript-eslint/consistent-type-definitions -- declaration merging */
declare module '../../platform/db/tables.js' {
  interface ControlTables {
    'control.memberships': MembershipsTable;
  }
  // Tenant transactions reach their own tenant's rows only (row-level security on the tenant role).
  interface TenantTables {
    'control.memberships': MembershipsTable;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */
