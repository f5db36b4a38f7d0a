import { sql, type Transaction } from 'kysely';

export const name = '202612021001_platform_tenant_role_per_database';

/**
 * Upgrade of a tenant provisioned with the cluster-wide role `ym_t_<slug>`: the per-database role
 * (`control.tenant_role(slug)`, created by the migrator before this runs) receives exactly the
 * privileges the old role held in this schema — relation by relation, so the audit trail's and
 * status reports' missing UPDATE/DELETE/TRUNCATE stay missing — and the old role loses them. The
 * old role is then dropped unless another database of the cluster still uses it (that database
 * drops it when it upgrades). A tenant provisioned after the change has no old role: nothing to do.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations shape any schema
export async function up(db: Transaction<any>): Promise<void> {
  await sql`
    do $$
    declare
      schema_name text := current_setting('search_path');
      old_role text := 'ym_' || current_setting('search_path');
      new_role text := control.tenant_role(substr(current_setting('search_path'), 3));
      old_oid oid;
      r record;
    begin
      select oid into old_oid from pg_roles where rolname = old_role;
      if old_oid is null or old_role = new_role then
        return;
      end if;
      for r in
        select c.relname, c.relkind, a.privilege_type
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        cross join lateral aclexplode(c.relacl) a
        where n.nspname = schema_name and a.grantee = old_oid
      loop
        if r.relkind = 'S' then
          execute format('grant %s on sequence %I.%I to %I', r.privilege_type, schema_name, r.relname, new_role);
        else
          execute format('grant %s on table %I.%I to %I', r.privilege_type, schema_name, r.relname, new_role);
        end if;
      end loop;
      for r in
        select p.oid::regprocedure as fn
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        cross join lateral aclexplode(p.proacl) a
        where n.nspname = schema_name and a.grantee = old_oid and a.privilege_type = 'EXECUTE'
      loop
        execute format('grant execute on function %s to %I', r.fn, new_role);
      end loop;
      execute format('revoke all on all tables in schema %I from %I', schema_name, old_role);
      execute format('revoke all on all sequences in schema %I from %I', schema_name, old_role);
      execute format('revoke all on all functions in schema %I from %I', schema_name, old_role);
      execute format('revoke all on schema %I from %I', schema_name, old_role);
      execute format('alter default privileges in schema %I revoke all on tables from %I', schema_name, old_role);
      execute format('alter default privileges in schema %I revoke all on sequences from %I', schema_name, old_role);
      execute format('alter default privileges in schema %I revoke all on functions from %I', schema_name, old_role);
      begin
        execute format('drop role %I', old_role);
      exception when sqlstate '2BP01' then
        null; -- another database of this cluster still uses it; it drops the role when it upgrades
      end;
    end $$`.execute(db);
}
