import type { Generated } from 'kysely';

export type EquipmentTypesTable = {
  id: Generated<string>;
  code: string;
  name: string;
  description: string | null;
  archived_at: Date | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type EquipmentTypeQualificationsTable = { equipment_type_id: string; qualification_id: string };

export type EquipmentTable = {
  id: Generated<string>;
  asset_tag: string;
  name: string;
  equipment_type_id: string;
  status: Generated<'available' | 'dispatched' | 'maintenance' | 'retired'>;
  status_note: string | null;
  home_lat: number | null;
  home_lng: number | null;
  lat: number | null;
  lng: number | null;
  position_at: Date | null;
  idle_since: Generated<Date>;
  /** Region code; null: shared by every region. */
  region: Generated<string | null>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    equipment_types: EquipmentTypesTable;
    equipment_type_qualifications: EquipmentTypeQualificationsTable;
    equipment: EquipmentTable;
  }
}
