import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openDatabase, tenantRole, withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase } from './support/db.js';
import { buildFleet, type Fleet } from './support/fleet.js';
import type { TestIdentity } from './support/identity.js';
import { startPgBouncer, waitFor, type PgBouncer } from './support/pg-cluster.js';

const PORT = 21011;

/**
 * The "pooled" level: Yardmaster through pgBouncer (Debian's, with deploy/pgbouncer/pgbouncer.ini)
 * in transaction pooling mode. The pool is shrunk to ONE server connection so that every
 * transaction of every tenant runs on the same PostgreSQL session, one after another.
 */
describe('through pgBouncer in transaction pooling mode', () => {
  let bouncer: PgBouncer;
  let direct: Database;
  let pooled: Database;
  let a: TenantRecord;
  let b: TenantRecord;
  let database: string;

  const admin = async (command: string): Promise<Array<Record<string, unknown>>> => {
    const client = new pg.Client({ connectionString: bouncer.admin() });
    await client.connect();
    try {
      // The admin console speaks the simple query protocol only.
      return (await client.query({ text: command, queryMode: 'simple' } as pg.QueryConfig)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    direct = await openTestDatabase();
    const url = new URL(inject('postgresUrl'));
    database = url.pathname.slice(1);
    bouncer = await startPgBouncer({
      port: PORT,
      backend: `${url.hostname}:${url.port || 5432}`,
      overrides: { default_pool_size: 1, reserve_pool_size: 0 },
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: bouncer.url(database),
      DATABASE_LISTEN_URL: inject('postgresUrl'),
      DATABASE_POOL_SIZE: '8',
      DATABASE_PREPARED_STATEMENTS: 'false',
    });
    if (config.database.kind !== 'postgres') throw new Error('expected PostgreSQL settings');
    pooled = await openDatabase(config.database);
    a = await createTestTenant(direct, 'pba');
    b = await createTestTenant(direct, 'pbb');
    for (const t of [a, b]) {
      await withTenant(direct.db, t.slug, (tx) =>
        sql`insert into tenant_settings (key, value) values ('owner', ${JSON.stringify(t.slug)}::jsonb)`.execute(tx),
      );
    }
  });
  afterAll(async () => {
    await pooled?.close();
    await bouncer?.stop();
    await direct?.close();
  });

  it('two tenants interleaved on one server connection never see each other’s schema, role or rows', async () => {
    type Seen = { pid: number; path: string; role: string; owner: string };
    const rounds = 60;
    const seen = await Promise.all(
      Array.from({ length: rounds }, (_, i) => {
        const tenant = i % 2 === 0 ? a : b;
        return withTenant(pooled.db, tenant.slug, async (tx) => {
          const row = (
            await sql<Seen>`select pg_backend_pid() as pid, current_setting('search_path') as path, current_user as role,
                                   (select value #>> '{}' from tenant_settings where key = 'owner') as owner`.execute(tx)
          ).rows[0];
          return { tenant: tenant.slug, ...row };
        });
      }),
    );
    // One PostgreSQL session served all of them…
    expect(new Set(seen.map((s) => s.pid)).size).toBe(1);
    // …and each transaction saw only its own tenant.
    for (const s of seen) {
      expect(s).toMatchObject({ path: `t_${s.tenant}`, role: tenantRole(database, s.tenant), owner: s.tenant });
    }
    // Between transactions the session is clean: the pin ended with each commit.
    const after = await sql<{ path: string; role: string }>`select current_setting('search_path') as path, current_user as role`.execute(
      pooled.db,
    );
    expect(after.rows[0]).toEqual({ path: '"$user", public', role: 'postgres' });
  });

  it('a transaction that fails leaves nothing pinned for the next client on the same connection', async () => {
    await expect(
      withTenant(pooled.db, a.slug, async (tx) => {
        await sql`select 1`.execute(tx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const owner = await withTenant(pooled.db, b.slug, (tx) =>
      sql<{ owner: string }>`select value #>> '{}' as owner from tenant_settings where key = 'owner'`.execute(tx),
    );
    expect(owner.rows).toEqual([{ owner: b.slug }]);
    const after = await sql<{ role: string }>`select current_user as role`.execute(pooled.db);
    expect(after.rows[0]?.role).toBe('postgres');
  });

  describe('the application over pgBouncer', () => {
    let app: FastifyInstance;
    let identity: TestIdentity;
    let fleet: Fleet;
    beforeAll(async () => {
      fleet = await buildFleet(direct, a.slug, { types: { VAN: [] }, equipment: { VAN: 2 }, drivers: [{ quals: [] }, { quals: [] }] });
      ({ app, identity } = await createTestApp(pooled));
    });
    afterAll(async () => {
      await app?.close();
    });

    it('dispatches and completes work with no named prepared statement left on the server connection', async () => {
      const local = app;
      {
        const headers = { authorization: `Bearer ${await identity.token({ roles: ['dispatcher'], tenant: a.slug })}` };
        for (let i = 0; i < 4; i++) {
          const created = await local.inject({
            method: 'POST',
            url: '/api/v1/work-orders',
            headers,
            payload: {
              siteId: fleet.siteId,
              description: `through pgBouncer ${i}`,
              priority: 'standard',
              lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
            },
          });
          expect(created.statusCode).toBe(201);
          const dispatchId = created.json<{ dispatchIds: string[] }>().dispatchIds[0];
          const d = await local.inject({ method: 'GET', url: `/api/v1/dispatches/${dispatchId}`, headers });
          expect(d.json<{ status: string }>().status).toBe('dispatched');
          const done = await local.inject({
            method: 'POST',
            url: `/api/v1/dispatches/${dispatchId}/status`,
            headers: { ...headers, 'if-match': `"${d.json<{ version: number }>().version}"` },
            payload: { status: 'completed' },
          });
          expect(done.statusCode).toBe(200);
        }
        const reports = await local.inject({ method: 'GET', url: '/api/v1/reports', headers });
        expect(reports.json<{ items: unknown[] }>().items.length).toBe(4);
      }
      // The one server connection holds no named prepared statement (pgBouncer 1.18 could not route them).
      const prepared = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(pooled.db);
      expect(prepared.rows[0]?.n).toBe(0);
      const servers = (await admin('SHOW SERVERS')).filter((s) => s.database === database);
      expect(servers.length).toBe(1);
    });

    it('LISTEN runs on its own direct connection (DATABASE_LISTEN_URL), not through pgBouncer', async () => {
      expect(pooled.url).toBe(inject('postgresUrl'));
      const listening = async (): Promise<number> =>
        Number(
          (
            await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
               where datname = current_database() and application_name = 'yardmaster-listen' and query ilike 'listen%'`.execute(direct.db)
          ).rows[0]?.n,
        );
      await waitFor('the listener sessions', async () => (await listening()) >= 2, 10_000);
      const clients = (await admin('SHOW CLIENTS')).filter((c) => c.application_name === 'yardmaster-listen');
      expect(clients).toEqual([]);
    });
  });
});
