import type { Generated } from 'kysely';

export type QualificationsTable = {
  id: Generated<string>;
  code: string;
  name: string;
  description: string | null;
  archived_at: Date | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type DriversTable = {
  id: Generated<string>;
  name: string;
  employee_no: string | null;
  phone: string | null;
  email: string | null;
  subject: string | null;
  duty_status: Generated<'on_duty' | 'off_duty'>;
  status_note: string | null;
  lat: number | null;
  lng: number | null;
  position_at: Date | null;
  idle_since: Generated<Date>;
  /** Region code; null: shared by every region. */
  region: Generated<string | null>;
  archived_at: Date | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

export type DriverQualificationsTable = {
  driver_id: string;
  qualification_id: string;
  expires_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
};

declare module '../../platform/db/tables.js' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- declaration merging
  interface TenantTables {
    qualifications: QualificationsTable;
    drivers: DriversTable;
    driver_qualifications: DriverQualificationsTable;
  }
}
