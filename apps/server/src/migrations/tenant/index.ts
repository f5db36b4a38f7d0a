import type { Migration } from '../../platform/db/migrator.js';
import * as settings from './202611250301_platform_tenant_settings.js';

/** Migrations run in every tenant schema, in this order. Append only. */
export const tenantMigrations: readonly Migration[] = [settings];
