import type { Generated } from 'kysely';

export type SitesTable = {
  id: Generated<string>;
  name: string;
  address: string;
  lat: number | null;
  lng: number | null;
  contact_name: string | null;
  contact_phone: string | null;
  notes: string | null;
  /** Region code; null: shared by every region. */
  region: Generated<string | null>;
  active: Generated<boolean>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    sites: SitesTable;
  }
}
