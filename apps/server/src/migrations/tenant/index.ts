import type { Migration } from '../../platform/db/migrator.js';
import * as settings from './202611250301_platform_tenant_settings.js';
import * as people from './202611250310_people_schema.js';
import * as fleet from './202611250311_fleet_schema.js';
import * as sites from './202611250312_sites_schema.js';

/** Migrations run in every tenant schema, in this order. Append only. */
export const tenantMigrations: readonly Migration[] = [settings, people, fleet, sites];
