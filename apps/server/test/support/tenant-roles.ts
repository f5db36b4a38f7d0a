import type pg from 'pg';
import { tenantRolePrefix } from '../../src/platform/db/index.js';

/**
 * Drops the tenant roles of a database that is gone (roles are cluster objects; their names carry
 * the database's, so exactly that database's roles go and no other run's).
 */
export async function dropTenantRolesOf(admin: pg.Client, database: string): Promise<void> {
  const prefix = tenantRolePrefix(database).replace(/_/g, '\\_');
  const roles = await admin.query<{ rolname: string }>(`select rolname from pg_roles where rolname like $1`, [`${prefix}%`]);
  for (const { rolname } of roles.rows) await admin.query(`drop role if exists "${rolname}"`);
}
