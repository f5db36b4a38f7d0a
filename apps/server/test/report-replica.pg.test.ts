import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Analytics, ReportPage } from '@yardmaster/contracts';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Caller } from '../src/platform/caller.js';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { openReportingDatabase, recordStatusReport } from '../src/modules/reporting/index.js';
import { createTestIdentity, type TestIdentity } from './support/identity.js';
import { createTestTenant, openTestDatabase } from './support/db.js';

/** Counts the statements a Kysely instance compiles that touch status reports. */
function counter(): KyselyPlugin & { reads: number; all: number } {
  const plugin = {
    reads: 0,
    all: 0,
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      plugin.all++;
      if (JSON.stringify(args.node).includes('status_report')) plugin.reads++;
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
  return plugin;
}

describe('REPORTING_DATABASE_URL: reports and analytics read from the replica pool', () => {
  let primary: Database;
  let replica: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let tenant: TenantRecord;
  let reportId: string;
  const onPrimary = counter();
  const onReplica = counter();

  beforeAll(async () => {
    const base = await openTestDatabase();
    primary = { ...base, db: base.db.withPlugin(onPrimary) };
    const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', SEED_DEMO: 'false', REPORTING_DATABASE_URL: inject('postgresUrl') });
    const opened = await openReportingDatabase(config);
    if (!opened) throw new Error('REPORTING_DATABASE_URL was not honoured');
    replica = { ...opened, db: opened.db.withPlugin(onReplica) };
    identity = await createTestIdentity();
    app = await buildApp({
      config,
      database: primary,
      reportingDatabase: replica,
      trustedIssuer: identity.trusted,
      webDir: '/nonexistent',
    });
    await app.ready();
    tenant = await createTestTenant(base, 'rp');
    const system: Caller = {
      kind: 'system',
      subject: 'system',
      name: 'system',
      roles: [],
      tenantSlug: tenant.slug,
      requestId: null,
      sourceIp: null,
      userAgent: null,
    };
    reportId = (
      await withTenant(base.db, tenant.slug, (tx) =>
        recordStatusReport(tx, system, {
          dispatchId: randomUUID(),
          workOrder: { id: randomUUID(), number: 'WO-1', description: null },
          site: { id: randomUUID(), name: 'Site', address: null },
          equipment: { id: randomUUID(), assetTag: 'E-1', name: 'E', typeId: randomUUID(), typeCode: 'T', typeName: 'Type' },
          driver: { id: randomUUID(), name: 'D' },
          dispatcher: { kind: 'system', subject: 'system', name: 'system' },
          priority: 'low',
          finalStatus: 'completed',
          timestamps: { createdAt: '2026-06-01T10:00:00Z', dispatchedAt: '2026-06-01T10:05:00Z', completedAt: '2026-06-01T11:00:00Z' },
        }),
      )
    ).id;
  });
  afterAll(async () => {
    await app?.close();
    await replica?.close();
    await primary?.close();
  });

  const auth = async (role: string) => ({
    authorization: `Bearer ${await identity.token({ roles: [role as 'admin'], tenant: tenant.slug })}`,
  });

  it('the replica pool is read-only: a write through it is refused by PostgreSQL', async () => {
    await expect(
      withTenant(replica.db, tenant.slug, (tx) => sql`insert into tenant_settings (key, value) values ('x', '1'::jsonb)`.execute(tx)),
    ).rejects.toMatchObject({
      code: '25006',
    });
  });

  it('lists, reads, downloads and analyses on the replica, tenant-scoped', async () => {
    onPrimary.reads = 0;
    onReplica.reads = 0;
    const list = await app.inject({ method: 'GET', url: '/api/v1/reports', headers: await auth('viewer') });
    expect(list.json<ReportPage>().items.map((i) => i.id)).toEqual([reportId]);
    expect((await app.inject({ method: 'GET', url: `/api/v1/reports/${reportId}`, headers: await auth('viewer') })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/reports/${reportId}/pdf`, headers: await auth('viewer') })).statusCode).toBe(
      200,
    );
    const a = await app.inject({
      method: 'GET',
      url: '/api/v1/analytics?from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z',
      headers: await auth('dispatcher'),
    });
    expect(a.json<Analytics>().counts.completed).toBe(1);
    expect(onReplica.reads).toBeGreaterThanOrEqual(4);
    expect(onPrimary.reads).toBe(0);
  });

  it('correction notes (writes) go to the primary', async () => {
    onPrimary.reads = 0;
    onReplica.reads = 0;
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/reports/${reportId}/notes`,
      headers: await auth('dispatcher'),
      payload: { body: 'Corrected' },
    });
    expect(res.statusCode).toBe(201);
    expect(onPrimary.reads).toBeGreaterThan(0);
    expect(onReplica.reads).toBe(0);
  });

  it('without REPORTING_DATABASE_URL there is no second pool', async () => {
    expect(await openReportingDatabase(loadConfig({ NODE_ENV: 'test' }))).toBeUndefined();
  });
});
