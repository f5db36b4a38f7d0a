export {
  openDatabase,
  createPool,
  kyselyOver,
  DatabaseUnreachableError,
  DEFAULT_POOL_TIMEOUT_MS,
  type Database,
  type DatabaseSettings,
  type PoolOptions,
} from './database.js';
export {
  withTenant,
  withControl,
  onCommit,
  beforeCommit,
  databaseOf,
  schemaOf,
  tenantSchema,
  tenantRole,
  tenantRolePrefix,
  type TxOptions,
  type FinalWrite,
} from './scope.js';
export {
  migrateAll,
  isFullyMigrated,
  migrateTenantSchema,
  dropTenantSchema,
  type Migration,
  type MigrationSets,
  type MigrationReport,
} from './migrator.js';
export { provisionTenant, findTenantBySlug, listTenants, type TenantRecord, type NewTenant } from './tenancy.js';
export type { ControlTables, TenantTables, TenantTx, ControlTx, ControlDb, Timestamp } from './tables.js';
export {
  uniqueViolationOf,
  foreignKeyViolationOf,
  unavailabilityOf,
  isConnectionError,
  CommitOutcomeUnknownError,
  type Unavailability,
} from './errors.js';
export { encodeCursor, decodeCursor, pageFrom, containsPattern, type Cursor } from './pagination.js';
export { createSessionClient, isMultiHostUrl } from './primary.js';
export { createReadRouter, parseLsn, type ReadRouter, type ReplicaStatus } from './read-routing.js';
