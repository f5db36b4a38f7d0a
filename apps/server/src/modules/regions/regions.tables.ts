import type { Generated } from 'kysely';

export type RegionsTable = {
  id: Generated<string>;
  code: string;
  name: string;
  description: string | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    regions: RegionsTable;
  }
}
