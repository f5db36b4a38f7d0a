import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** Tables of the `control` schema that the platform itself owns. */
export type TenantsTable = {
  id: Generated<string>;
  slug: string;
  name: string;
  time_zone: string;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
  archived_at: Date | null;
};

export type MigrationsTable = {
  scope: string;
  name: string;
  applied_at: Generated<Date>;
};

/**
 * Control-schema tables, keyed by their qualified name. Modules that own control tables add
 * theirs by declaration merging (`declare module … { interface ControlTables { … } }`).
 */
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- merged by modules
export interface ControlTables {
  'control.tenants': TenantsTable;
  'control.migrations': MigrationsTable;
}

/**
 * Tables of a tenant schema, unqualified: `withTenant` pins the schema. Each module declares its
 * own tables by declaration merging in its `<module>.tables.ts`.
 */
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions, @typescript-eslint/no-empty-object-type -- merged by modules
export interface TenantTables {}

export type ControlDb = Kysely<ControlTables>;
export type TenantTx = Transaction<TenantTables>;
export type ControlTx = Transaction<ControlTables>;
