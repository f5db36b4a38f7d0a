import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem, RetentionSettings, Role } from '@yardmaster/contracts';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { listAuditEvents } from '../src/modules/audit/index.js';
import { recordStatusReport } from '../src/modules/reporting/index.js';
import type { TestIdentity } from './support/identity.js';
import { createTestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';

describe(`retention settings on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let tenant: TenantRecord;
  const call = async (method: 'GET' | 'PUT', role: Role, payload?: object, ifMatch?: string) =>
    app.inject({
      method,
      url: '/api/v1/settings/retention',
      headers: {
        authorization: `Bearer ${await identity.token({ roles: [role], tenant: tenant.slug })}`,
        ...(ifMatch ? { 'if-match': ifMatch } : {}),
      },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    tenant = await createTestTenant(database, 'rr');
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('defaults to 7 years for work orders and reports and 3 for audit', async () => {
    const res = await call('GET', 'admin');
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"0"');
    expect(res.json<RetentionSettings>()).toEqual({ workOrdersYears: 7, statusReportsYears: 7, auditYears: 3 });
  });

  it('is for admins only', async () => {
    for (const role of ['dispatcher', 'viewer', 'driver'] as const) {
      expect((await call('GET', role)).statusCode, role).toBe(403);
      expect((await call('PUT', role, { workOrdersYears: 8, statusReportsYears: 8, auditYears: 5 }, '"0"')).statusCode, role).toBe(403);
    }
  });

  it('refuses values below the minimums, and updates need the current version', async () => {
    const low = await call('PUT', 'admin', { workOrdersYears: 6, statusReportsYears: 7, auditYears: 2 }, '"0"');
    expect(low.statusCode).toBe(400);
    expect(
      low
        .json<Problem>()
        .errors?.map((e) => e.field)
        .sort(),
    ).toEqual(['auditYears', 'workOrdersYears']);
    expect((await call('PUT', 'admin', { workOrdersYears: 10, statusReportsYears: 8, auditYears: 5 })).statusCode).toBe(428);
    const ok = await call('PUT', 'admin', { workOrdersYears: 10, statusReportsYears: 8, auditYears: 5 }, '"0"');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('"1"');
    const stale = await call('PUT', 'admin', { workOrdersYears: 12, statusReportsYears: 8, auditYears: 5 }, '"0"');
    expect(stale.statusCode).toBe(409);
    const now = await call('GET', 'admin');
    expect(now.headers.etag).toBe('"1"');
    expect(now.json<RetentionSettings>()).toEqual({ workOrdersYears: 10, statusReportsYears: 8, auditYears: 5 });
    const events = await withTenant(database.db, tenant.slug, (tx) => listAuditEvents(tx, { action: 'retention.updated' }));
    expect(events).toHaveLength(1);
    expect(events[0]?.after).toEqual({ workOrdersYears: 10, statusReportsYears: 8, auditYears: 5 });
  });

  it('nothing is deleted before its time: only the archive purge, only for reports past retention', async () => {
    const system = {
      kind: 'system' as const,
      subject: 'system',
      name: 'system',
      roles: [],
      tenantSlug: tenant.slug,
      requestId: null,
      sourceIp: null,
      userAgent: null,
    };
    const report = (finished: string) =>
      withTenant(database.db, tenant.slug, (tx) =>
        recordStatusReport(tx, system, {
          dispatchId: randomUUID(),
          workOrder: { id: randomUUID(), number: `WO-${finished}`, description: null },
          site: { id: randomUUID(), name: 'S', address: null },
          equipment: { id: randomUUID(), assetTag: 'E-1', name: 'E', typeId: randomUUID(), typeCode: 'T', typeName: 'T' },
          driver: { id: randomUUID(), name: 'D' },
          dispatcher: { kind: 'system', subject: 'system', name: 'system' },
          priority: 'standard',
          finalStatus: 'completed',
          timestamps: { createdAt: finished, dispatchedAt: finished, completedAt: finished },
        }),
      );
    // Retention is 8 years for reports after the previous test.
    const old = await report(new Date(Date.now() - 9 * 366 * 86_400_000).toISOString());
    const young = await report(new Date(Date.now() - 7.5 * 366 * 86_400_000).toISOString());
    const table = sql.id(`t_${tenant.slug}`, 'status_reports');
    const purge = (id: string, flag: boolean) =>
      database.db.transaction().execute(async (tx) => {
        if (flag) await sql`select set_config('ym.retention_purge', 'on', true)`.execute(tx);
        return sql`delete from ${table} where id = ${id}`.execute(tx);
      });
    await expect(purge(old.id, false)).rejects.toThrow(/immutable/);
    await expect(purge(young.id, true)).rejects.toThrow(/retention period/);
    expect((await purge(old.id, true)).numAffectedRows).toBe(1n);
    // The tenant role may not delete at all, flag or not.
    await expect(
      withTenant(database.db, tenant.slug, async (tx) => {
        await sql`select set_config('ym.retention_purge', 'on', true)`.execute(tx);
        await sql`delete from status_reports where id = ${young.id}`.execute(tx);
      }),
    ).rejects.toThrow();
  });
});
