import type { Kysely } from 'kysely';
import { conflict } from '../errors.js';
import { migrateTenantSchema, type Migration } from './migrator.js';
import { withControl } from './scope.js';
import type { ControlTables, TenantsTable } from './tables.js';
import type { Selectable } from 'kysely';

/**
 * The tenant registry (`control.tenants`). Tenancy is platform infrastructure: the migrator walks
 * this table and `withTenant` trusts only slugs found here.
 */
export type TenantRecord = Selectable<TenantsTable>;

export async function findTenantBySlug(db: Kysely<ControlTables>, slug: string): Promise<TenantRecord | undefined> {
  return db.selectFrom('control.tenants').selectAll().where('slug', '=', slug).where('archived_at', 'is', null).executeTakeFirst();
}

export async function listTenants(db: Kysely<ControlTables>): Promise<TenantRecord[]> {
  return db.selectFrom('control.tenants').selectAll().where('archived_at', 'is', null).orderBy('slug').execute();
}

export type NewTenant = { slug: string; name: string; timeZone: string };

/** Registers a tenant, creates its schema and role and runs every tenant migration: all or nothing. */
export async function provisionTenant(
  db: Kysely<ControlTables>,
  input: NewTenant,
  tenantMigrations: readonly Migration[],
): Promise<TenantRecord> {
  return withControl(db, async (tx) => {
    const existing = await tx.selectFrom('control.tenants').select('id').where('slug', '=', input.slug).executeTakeFirst();
    if (existing) throw conflict(`a tenant with slug "${input.slug}" already exists`, [{ field: 'slug', message: 'already taken' }]);
    const tenant = await tx
      .insertInto('control.tenants')
      .values({ slug: input.slug, name: input.name, time_zone: input.timeZone })
      .returningAll()
      .executeTakeFirstOrThrow();
    await migrateTenantSchema(tx, input.slug, tenantMigrations);
    return tenant;
  });
}
