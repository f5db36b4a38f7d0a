import type { ColumnType } from 'kysely';

export type TenantPlansTable = {
  tenant_slug: string;
  plan: string;
  changed_by: string;
  changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
};

export type RateBucketsTable = {
  key: string;
  tokens: number;
  at: ColumnType<Date, Date | string, Date | string>;
};

export type LiveStreamsTable = {
  id: string;
  instance_id: string;
  tenant_slug: string;
  user_key: string;
  opened_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
};

/* eslint-disable @typescript-eslint/consistent-type-definitions -- declaration merging */
declare module '../../platform/db/tables.js' {
  interface ControlTables {
    'control.tenant_plans': TenantPlansTable;
    'control.rate_buckets': RateBucketsTable;
    'control.live_streams': LiveStreamsTable;
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */
