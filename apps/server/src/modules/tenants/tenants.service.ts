import type { CreateTenant, Tenant } from '@yardmaster/contracts';
import { migrations } from '../../migrations/index.js';
import { conflict } from '../../platform/errors.js';
import { provisionTenant, type Database, type TenantRecord } from '../../platform/db/index.js';

export function tenantView(row: TenantRecord): Tenant {
  return { id: row.id, slug: row.slug, name: row.name, timeZone: row.time_zone, createdAt: row.created_at.toISOString() };
}

/** Provisions a tenant: registry row, schema, role and every tenant migration, all or nothing. */
export async function createTenant(database: Database, input: CreateTenant): Promise<Tenant> {
  try {
    return tenantView(await provisionTenant(database.db, input, migrations.tenant));
  } catch (error) {
    // Two concurrent creates of one slug: the loser hits the unique index.
    if ((error as { code?: string }).code === '23505') {
      throw conflict(`a tenant with slug "${input.slug}" already exists`, [{ field: 'slug', message: 'already taken' }]);
    }
    throw error;
  }
}
