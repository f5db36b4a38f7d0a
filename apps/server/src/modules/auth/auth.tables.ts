import type { ColumnType, Generated } from 'kysely';

export type LocalUsersTable = {
  id: Generated<string>;
  email: string;
  name: string;
  password_hash: string;
  tenant_slug: string | null;
  roles: ColumnType<string[], string[] | undefined, string[]>;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface ControlTables {
    'control.local_users': LocalUsersTable;
  }
}
