import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, openTestDatabase, testDbKind } from '../../../test/support/db.js';
import { migrations } from '../../migrations/index.js';
import { isFullyMigrated, listTenants, migrateAll, withControl, withTenant, type Database } from './index.js';

describe(`tenancy on ${testDbKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('migrates from empty and records every migration in the control ledger', async () => {
    const rows = await database.db.selectFrom('control.migrations').select(['scope', 'name']).where('scope', '=', 'control').execute();
    expect(rows.map((r) => r.name)).toEqual(migrations.control.map((m) => m.name));
    expect(await isFullyMigrated(database.db, migrations)).toBe(true);
  });

  it('running migrations again changes nothing', async () => {
    const report = await migrateAll(database.db, migrations);
    expect(report.control).toEqual([]);
    expect(Object.values(report.tenants).flat()).toEqual([]);
  });

  it('provisions two tenants, each with its own migrated schema', async () => {
    const a = await createTestTenant(database, 'a');
    const b = await createTestTenant(database, 'b');
    const slugs = (await listTenants(database.db)).map((t) => t.slug);
    expect(slugs).toEqual(expect.arrayContaining([a.slug, b.slug]));
    for (const t of [a, b]) {
      const ledger = await database.db.selectFrom('control.migrations').select('name').where('scope', '=', `t_${t.slug}`).execute();
      expect(ledger.map((r) => r.name)).toEqual(migrations.tenant.map((m) => m.name));
    }
  });

  it("a tenant's transaction cannot read or write another tenant's rows, even naming them", async () => {
    const a = await createTestTenant(database, 'a');
    const b = await createTestTenant(database, 'b');
    await withTenant(database.db, b.slug, (tx) =>
      sql`insert into tenant_settings (key, value) values ('secret', '"b-only"'::jsonb)`.execute(tx),
    );
    // Unqualified: A's schema is pinned, B's row is invisible.
    const seen = await withTenant(database.db, a.slug, (tx) =>
      sql<{ key: string }>`select key from tenant_settings where key = 'secret'`.execute(tx),
    );
    expect(seen.rows).toEqual([]);
    // Qualified with B's schema: PostgreSQL itself refuses (A's role has no privilege there).
    await expect(
      withTenant(database.db, a.slug, (tx) => sql`select * from ${sql.id(`t_${b.slug}`, 'tenant_settings')}`.execute(tx)),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      withTenant(database.db, a.slug, (tx) =>
        sql`update ${sql.id(`t_${b.slug}`, 'tenant_settings')} set value = '"stolen"'::jsonb`.execute(tx),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(withTenant(database.db, a.slug, (tx) => sql`select * from control.tenants`.execute(tx))).rejects.toMatchObject({
      code: '42501',
    });
    const still = await withTenant(database.db, b.slug, (tx) =>
      sql<{ value: string }>`select value from tenant_settings where key = 'secret'`.execute(tx),
    );
    expect(still.rows).toEqual([{ value: 'b-only' }]);
  });

  it('rolls a failed transaction back completely', async () => {
    const a = await createTestTenant(database, 'a');
    await expect(
      withTenant(database.db, a.slug, async (tx) => {
        await sql`insert into tenant_settings (key, value) values ('half', '1'::jsonb)`.execute(tx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await withTenant(database.db, a.slug, (tx) => sql`select key from tenant_settings where key = 'half'`.execute(tx));
    expect(rows.rows).toEqual([]);
  });

  it('refuses a schema that is not a valid tenant slug', async () => {
    await expect(withTenant(database.db, 'x; drop schema control', async () => 1)).rejects.toThrow(/invalid tenant slug/);
    await expect(withControl(database.db, async (tx) => tx.selectFrom('control.tenants').select('id').execute())).resolves.toBeInstanceOf(
      Array,
    );
  });
});
