import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportPage } from '@yardmaster/contracts';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrations } from '../src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant, type Database } from '../src/platform/db/index.js';
import { openReportingDatabase } from '../src/modules/reporting/index.js';
import { buildFleet, type Fleet } from './support/fleet.js';
import { createTestIdentity, type TestIdentity } from './support/identity.js';
import { createCluster, createStandby, removeCluster, waitFor, type ScratchCluster } from './support/pg-cluster.js';

const PRIMARY_PORT = 21021;
const STANDBY_PORT = 21022;

/**
 * The "read scaling" level: a scratch primary and a streaming standby made from it with
 * pg_basebackup, reports and analytics on the standby (REPORTING_DATABASE_URL), and a user's own
 * writes read from the primary until the standby has replayed past their commit.
 */
describe('a streaming replica for reports, with read-your-writes', () => {
  let primary: ScratchCluster;
  let standby: ScratchCluster;
  let database: Database;
  let replica: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let fleet: Fleet;
  const slug = 'replica';

  beforeAll(async () => {
    primary = createCluster({ port: PRIMARY_PORT, prefix: 'primary' });
    database = await openDatabase({ kind: 'postgres', url: primary.url(), poolSize: 6 });
    await migrateAll(database.db, migrations);
    await provisionTenant(database.db, { slug, name: 'Replica Co', timeZone: 'UTC' }, migrations.tenant);
    fleet = await buildFleet(database, slug, { types: { VAN: [] }, equipment: { VAN: 2 }, drivers: [{ quals: [] }, { quals: [] }] });
    standby = createStandby(primary, STANDBY_PORT);
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      SEED_DEMO: 'false',
      DATABASE_URL: primary.url(),
      REPORTING_DATABASE_URL: standby.url(),
    });
    const opened = await openReportingDatabase(config);
    if (!opened) throw new Error('REPORTING_DATABASE_URL was not honoured');
    replica = opened;
    identity = await createTestIdentity();
    app = await buildApp({ config, database, reportingDatabase: replica, trustedIssuer: identity.trusted, webDir: '/nonexistent' });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await replica?.close();
    await database?.close();
    removeCluster(standby);
    removeCluster(primary);
  });

  const headers = async (sub: string, role: 'dispatcher' | 'viewer') => ({
    authorization: `Bearer ${await identity.token({ roles: [role], tenant: slug, sub })}`,
  });
  const metric = async (name: string): Promise<number> => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  };
  const replay = (action: 'pause' | 'resume') => sql`select ${sql.raw(`pg_wal_replay_${action}`)}()`.execute(replica.db);

  it('the standby streams from the primary and is read-only', async () => {
    const inRecovery = await sql<{ r: boolean }>`select pg_is_in_recovery() as r`.execute(replica.db);
    expect(inRecovery.rows[0]?.r).toBe(true);
    const senders = await sql<{ n: number }>`select count(*)::int as n from pg_stat_replication where state = 'streaming'`.execute(
      database.db,
    );
    expect(senders.rows[0]?.n).toBe(1);
  });

  it('a multi-host DATABASE_URL finds the read-write primary, whatever the order of the hosts', async () => {
    const url = `postgres://postgres@127.0.0.1:21029,127.0.0.1:${STANDBY_PORT},127.0.0.1:${PRIMARY_PORT}/postgres?target_session_attrs=read-write`;
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, DATABASE_POOL_SIZE: '2' });
    if (config.database.kind !== 'postgres') throw new Error('expected PostgreSQL settings');
    const multi = await openDatabase(config.database);
    try {
      const where = await sql<{
        port: number;
        standby: boolean;
      }>`select inet_server_port() as port, pg_is_in_recovery() as standby`.execute(multi.db);
      expect(where.rows[0]).toEqual({ port: PRIMARY_PORT, standby: false });
      await sql`create table if not exists multi_host_probe (id int)`.execute(multi.db);
      await sql`drop table multi_host_probe`.execute(multi.db);
    } finally {
      await multi.close();
    }
  });

  it('a writer reads their own new report from the primary while the replica lags; others read the replica', async () => {
    const writer = await headers('writer-1', 'dispatcher');
    const other = await headers('viewer-1', 'viewer');
    // Warm: both read from the replica while it is in step.
    await waitFor('the replica to catch up', async () => (await metric('yardmaster_replica_lag_bytes')) === 0, 10_000);
    const before = await metric('yardmaster_report_reads_total{target="replica"}');
    expect((await app.inject({ method: 'GET', url: '/api/v1/reports', headers: other })).statusCode).toBe(200);
    expect(await metric('yardmaster_report_reads_total{target="replica"}')).toBe(before + 1);

    await replay('pause');
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/work-orders',
        headers: writer,
        payload: {
          siteId: fleet.siteId,
          description: 'read your writes',
          priority: 'standard',
          lines: [{ equipmentTypeId: fleet.typeIds.VAN, quantity: 1 }],
        },
      });
      expect(created.statusCode).toBe(201);
      const dispatchId = created.json<{ dispatchIds: string[] }>().dispatchIds[0];
      const d = await app.inject({ method: 'GET', url: `/api/v1/dispatches/${dispatchId}`, headers: writer });
      const done = await app.inject({
        method: 'POST',
        url: `/api/v1/dispatches/${dispatchId}/status`,
        headers: { ...writer, 'if-match': `"${d.json<{ version: number }>().version}"` },
        payload: { status: 'completed' },
      });
      expect(done.statusCode).toBe(200);

      await waitFor('the lag to show in /metrics', async () => (await metric('yardmaster_replica_lag_bytes')) > 0, 5_000);
      const primaryReads = await metric('yardmaster_report_reads_total{target="primary"}');
      const mine = await app.inject({ method: 'GET', url: '/api/v1/reports', headers: writer });
      expect(mine.json<ReportPage>().items.map((r) => r.dispatchId)).toContain(dispatchId);
      expect(await metric('yardmaster_report_reads_total{target="primary"}')).toBe(primaryReads + 1);
      // Someone who wrote nothing reads the (stale) replica: the report is not there yet.
      const theirs = await app.inject({ method: 'GET', url: '/api/v1/reports', headers: other });
      expect(theirs.json<ReportPage>().items.map((r) => r.dispatchId)).not.toContain(dispatchId);
    } finally {
      await replay('resume');
    }

    // Once the replica has replayed past the writer's commit, the writer reads the replica again.
    await waitFor('the replica to catch up', async () => (await metric('yardmaster_replica_lag_bytes')) === 0, 10_000);
    const replicaReads = await metric('yardmaster_report_reads_total{target="replica"}');
    const again = await app.inject({ method: 'GET', url: '/api/v1/reports', headers: writer });
    expect(again.json<ReportPage>().items).toHaveLength(1);
    expect(await metric('yardmaster_report_reads_total{target="replica"}')).toBe(replicaReads + 1);
    expect(await metric('yardmaster_replica_up')).toBe(1);
  });
});
