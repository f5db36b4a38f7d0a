import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, openTestDatabase, testDbKind } from '../../../test/support/db.js';
import { migrations } from '../../migrations/index.js';
import { beforeCommit, isFullyMigrated, listTenants, migrateAll, withControl, withTenant, type Database } from './index.js';

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

  /**
   * The round trips node-postgres makes while `work` runs (both engines are reached through it): a
   * simple query by its text, an extended-protocol one (parameters; prepared or not) as '(extended)'.
   */
  async function roundTripsOf<T>(work: () => Promise<T>): Promise<{ value: T; sent: string[] }> {
    const sent: string[] = [];
    const connection = (pg as unknown as { Connection: { prototype: Record<'query' | 'sync', (...a: unknown[]) => unknown> } }).Connection
      .prototype;
    const { query, sync } = connection;
    connection.query = function (this: unknown, ...args: unknown[]) {
      sent.push(String(args[0]));
      return query.apply(this, args);
    };
    connection.sync = function (this: unknown, ...args: unknown[]) {
      sent.push('(extended)');
      return sync.apply(this, args);
    };
    try {
      return { value: await work(), sent };
    } finally {
      connection.query = query;
      connection.sync = sync;
    }
  }

  it("sends a transaction's final write with its COMMIT, in one round trip, and hands each part its value", async () => {
    const a = await createTestTenant(database, 'a');
    const seen: Array<{ value: unknown; woken: boolean }> = [];
    const { sent } = await roundTripsOf(() =>
      withTenant(database.db, a.slug, async (tx) => {
        await sql`insert into tenant_settings (key, value) values ('epilogue', '1'::jsonb)`.execute(tx);
        beforeCommit(tx, 'test.count', 1, () => ({
          sql: sql`(select count(*)::int from tenant_settings where key = ${'epilogue'})`,
          done: (value, woken) => seen.push({ value, woken }),
        }));
      }),
    );
    // BEGIN with the preamble, the insert, then the final write with COMMIT (and nothing after it).
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatch(/^start transaction; select set_config\('search_path'/);
    expect(sent[1]).toMatch(/^insert into tenant_settings/);
    expect(sent[2]).toMatch(/^select \(select count\(\*\)::int from tenant_settings where key = 'epilogue'\) as "p0"; commit$/);
    expect(seen).toEqual([{ value: 1, woken: true }]);
    const kept = await withTenant(database.db, a.slug, (tx) => sql`select key from tenant_settings where key = 'epilogue'`.execute(tx));
    expect(kept.rows).toHaveLength(1);
  });

  it('inlines final-write parameters as literals that cannot end the statement', async () => {
    const a = await createTestTenant(database, 'a');
    const hostile = `it's a \\ test '; commit; drop table tenant_settings; -- "quoted" \n`;
    let echoed: unknown;
    await withTenant(database.db, a.slug, async (tx) => {
      beforeCommit(tx, 'test.echo', 1, () => ({ sql: sql`${hostile}::text`, done: (value) => (echoed = value) }));
    });
    expect(echoed).toBe(hostile);
    const table = await withTenant(database.db, a.slug, (tx) => sql`select count(*)::int as n from tenant_settings`.execute(tx));
    expect(table.rows).toHaveLength(1);
  });

  it('commits nothing when the final write fails, and the next transaction works', async () => {
    const a = await createTestTenant(database, 'a');
    await expect(
      withTenant(database.db, a.slug, async (tx) => {
        await sql`insert into tenant_settings (key, value) values ('doomed', '1'::jsonb)`.execute(tx);
        beforeCommit(tx, 'test.fail', 1, () => ({ sql: sql`(select 1 / (select count(*)::int from tenant_settings where key = 'none'))` }));
      }),
    ).rejects.toMatchObject({ code: '22012' });
    const rows = await withTenant(database.db, a.slug, (tx) => sql`select key from tenant_settings where key = 'doomed'`.execute(tx));
    expect(rows.rows).toEqual([]);
  });

  it('refuses a schema that is not a valid tenant slug', async () => {
    await expect(withTenant(database.db, 'x; drop schema control', async () => 1)).rejects.toThrow(/invalid tenant slug/);
    await expect(withControl(database.db, async (tx) => tx.selectFrom('control.tenants').select('id').execute())).resolves.toBeInstanceOf(
      Array,
    );
  });
});
