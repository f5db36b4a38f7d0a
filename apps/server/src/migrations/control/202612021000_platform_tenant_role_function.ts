import { sql, type Transaction } from 'kysely';

export const name = '202612021000_platform_tenant_role_function';

/**
 * Tenant database roles become unique per database: `ym_<first 10 hex of md5(current_database())>_<slug>`
 * instead of the cluster-wide `ym_t_<slug>` (two Yardmaster databases on one PostgreSQL shared
 * `ym_t_demo`, and two starting at once crashed on the duplicate role). `control.tenant_role` is
 * the one SQL definition (`tenantRole` in platform/db/scope.ts is the same rule in TypeScript);
 * `withTenant` pins the role through it. The row-level security of the control tables that
 * tenants administer follows the new name. Existing tenants move their privileges to the new role
 * in the tenant migration 202612021001.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    create function control.tenant_role(slug text) returns text
      language sql stable parallel safe
      as $$ select 'ym_' || left(md5(current_database()), 10) || '_' || slug $$`.execute(db);
  await sql`grant execute on function control.tenant_role(text) to public`.execute(db);
  for (const table of ['memberships', 'tenant_issuers']) {
    await sql`drop policy tenant_own_rows on ${sql.id('control', table)}`.execute(db);
    await sql`
      create policy tenant_own_rows on ${sql.id('control', table)}
        using (control.tenant_role(tenant_slug) = current_user)
        with check (control.tenant_role(tenant_slug) = current_user)`.execute(db);
  }
}
