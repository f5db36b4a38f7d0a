import type { MigrationSets } from '../platform/db/migrator.js';
import { controlMigrations } from './control/index.js';
import { tenantMigrations } from './tenant/index.js';

export const migrations: MigrationSets = { control: controlMigrations, tenant: tenantMigrations };
