import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/migrations/index.js';
import {
  dropTenantSchema,
  migrateAll,
  openDatabase,
  provisionTenant,
  tenantRole,
  withControl,
  withTenant,
  type Database,
} from '../src/platform/db/index.js';
import { ADMIN_URL } from './support/global-postgres.js';
import { createScratchPostgres } from './support/scratch.js';

type Scratch = Awaited<ReturnType<typeof createScratchPostgres>>;

async function rolesLike(pattern: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    return (
      await admin.query<{ rolname: string }>(`select rolname from pg_roles where rolname like $1 order by rolname`, [pattern])
    ).rows.map((r) => r.rolname);
  } finally {
    await admin.end();
  }
}

/**
 * Tenant roles are cluster objects, tenant schemas belong to one database: the role name carries
 * the database (`ym_<md5(db)[0,10]>_<slug>`), so several Yardmaster databases share a cluster.
 */
describe('tenant database roles are unique per database', () => {
  const scratches: Scratch[] = [];
  const opened: Database[] = [];
  const scratch = async (): Promise<{ s: Scratch; database: Database }> => {
    const s = await createScratchPostgres();
    scratches.push(s);
    const database = await openDatabase({ kind: 'postgres', url: s.url, poolSize: 4 });
    opened.push(database);
    return { s, database };
  };
  afterAll(async () => {
    for (const d of opened) await d.close();
    for (const s of scratches) await s.drop();
  });

  it('two databases on one cluster start at once with the same tenant and each gets its own role', async () => {
    const [one, two] = await Promise.all([scratch(), scratch()]);
    if (!one || !two) throw new Error('unreachable');
    // Both migrate and provision the same slug at the same moment (the crash of old: both created ym_t_demo).
    await Promise.all([migrateAll(one.database.db, migrations), migrateAll(two.database.db, migrations)]);
    await Promise.all(
      [one, two].map(({ database }) => provisionTenant(database.db, { slug: 'demo', name: 'Demo', timeZone: 'UTC' }, migrations.tenant)),
    );
    const roleOne = tenantRole(one.s.name, 'demo');
    const roleTwo = tenantRole(two.s.name, 'demo');
    expect(roleOne).not.toBe(roleTwo);
    expect(roleOne).toMatch(/^ym_[0-9a-f]{10}_demo$/);
    expect(await rolesLike('ym\\_t\\_demo')).toEqual([]);
    // Each database's transactions run as its own role, and the control rows it administers are its own.
    for (const [{ database }, role] of [
      [one, roleOne],
      [two, roleTwo],
    ] as const) {
      const seen = await withTenant(database.db, 'demo', async (tx) => {
        await sql`insert into control.memberships (tenant_slug, email, roles) values ('demo', 'first@example.com', '{admin}')`.execute(tx);
        return (
          await sql<{ role: string; n: number }>`select current_user as role, (select count(*)::int from control.memberships) as n`.execute(
            tx,
          )
        ).rows[0];
      });
      expect(seen).toEqual({ role, n: 1 });
    }
  });

  it('the name stays within PostgreSQL’s 63-byte identifier limit for the longest slug', () => {
    const slug = `a${'b'.repeat(39)}`;
    expect(Buffer.byteLength(tenantRole('a database name that is rather long indeed', slug))).toBeLessThanOrEqual(63);
  });

  it('dropping a tenant drops its role with its schema and control rows', async () => {
    const { s, database } = await scratch();
    await migrateAll(database.db, migrations);
    await provisionTenant(database.db, { slug: 'gone', name: 'Gone', timeZone: 'UTC' }, migrations.tenant);
    await withTenant(database.db, 'gone', (tx) =>
      sql`insert into control.memberships (tenant_slug, email) values ('gone', 'x@example.com')`.execute(tx),
    );
    const role = tenantRole(s.name, 'gone');
    expect(await rolesLike(role)).toEqual([role]);
    await withControl(database.db, (tx) => dropTenantSchema(tx, 'gone'));
    expect(await rolesLike(role)).toEqual([]);
    const left = await sql<{ schemas: number; tenants: number; members: number }>`
      select (select count(*)::int from pg_namespace where nspname = 't_gone') as schemas,
             (select count(*)::int from control.tenants where slug = 'gone') as tenants,
             (select count(*)::int from control.memberships where tenant_slug = 'gone') as members`.execute(database.db);
    expect(left.rows[0]).toEqual({ schemas: 0, tenants: 0, members: 0 });
    // The slug can be provisioned again from scratch.
    await provisionTenant(database.db, { slug: 'gone', name: 'Again', timeZone: 'UTC' }, migrations.tenant);
    expect(await rolesLike(role)).toEqual([role]);
  });

  it('a database provisioned with the old cluster-wide ym_t_<slug> roles keeps working after the upgrade', async () => {
    const { s, database } = await scratch();
    const slug = `old_${s.name.slice(-6)}`;
    const upgrade = {
      control: migrations.control.filter((m) => m.name < '202612021000'),
      tenant: migrations.tenant.filter((m) => m.name < '202612021000'),
    };
    // The state an older Yardmaster left: every migration before the change, the old RLS policy,
    // and the tenant's role named ym_t_<slug> (with the privileges and revocations it was given).
    // Today's migrator creates the role under its new name, and the older migrations call a
    // control function that did not exist then: define it for the set-up, rename the role to its
    // old name afterwards (privileges follow the role), and remove the function so that the
    // upgrade creates it as it would in the field.
    await migrateAll(database.db, { control: upgrade.control, tenant: [] });
    await sql`create function control.tenant_role(slug text) returns text language sql stable as $$ select 'ym_' || left(md5(current_database()), 10) || '_' || slug $$`.execute(
      database.db,
    );
    await provisionTenant(database.db, { slug, name: 'Old', timeZone: 'UTC' }, upgrade.tenant);
    await sql`drop function control.tenant_role(text)`.execute(database.db);
    const oldRole = `ym_t_${slug}`;
    const newRole = tenantRole(s.name, slug);
    await sql`alter role ${sql.id(newRole)} rename to ${sql.id(oldRole)}`.execute(database.db);
    expect(await rolesLike(oldRole)).toEqual([oldRole]);
    const before = await sql<{ role: string }>`
      select grantee as role from information_schema.role_table_grants
      where table_schema = ${`t_${slug}`} and table_name = 'audit_events' and privilege_type = 'INSERT' and grantee like 'ym%'`.execute(
      database.db,
    );
    expect(before.rows.map((r) => r.role)).toEqual([oldRole]);

    // Upgrade: the current code and every migration.
    await migrateAll(database.db, migrations);

    expect(await rolesLike(oldRole)).toEqual([]);
    expect(await rolesLike(newRole)).toEqual([newRole]);
    const seen = await withTenant(database.db, slug, async (tx) => {
      await sql`insert into control.memberships (tenant_slug, email, roles) values (${slug}, 'after@example.com', '{admin}')`.execute(tx);
      await sql`insert into tenant_settings (key, value) values ('upgraded', 'true'::jsonb)`.execute(tx);
      return (
        await sql<{ role: string; n: number }>`select current_user as role, (select count(*)::int from control.memberships) as n`.execute(
          tx,
        )
      ).rows[0];
    });
    expect(seen).toEqual({ role: newRole, n: 1 });
    // What the old role lacked, the new one lacks too: the audit trail stays append-only for it.
    const privileges = await sql<{ privilege: string }>`
      select privilege_type as privilege from information_schema.role_table_grants
      where table_schema = ${`t_${slug}`} and table_name = 'audit_events' and grantee = ${newRole} order by 1`.execute(database.db);
    expect(privileges.rows.map((r) => r.privilege)).toEqual(['INSERT', 'SELECT']);
    await expect(withTenant(database.db, slug, (tx) => sql`delete from audit_events`.execute(tx))).rejects.toMatchObject({ code: '42501' });
    // A tenant provisioned after the upgrade is created with the new role directly.
    await provisionTenant(database.db, { slug: `${slug}_b`, name: 'New', timeZone: 'UTC' }, migrations.tenant);
    expect(
      await withTenant(
        database.db,
        `${slug}_b`,
        async (tx) => (await sql<{ role: string }>`select current_user as role`.execute(tx)).rows[0]?.role,
      ),
    ).toBe(tenantRole(s.name, `${slug}_b`));
  });
});
