import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem, ReportNote, ReportPage, Role, StatusReport, StatusReportSnapshot } from '@yardmaster/contracts';
import { migrations } from '../src/migrations/index.js';
import type { Caller } from '../src/platform/caller.js';
import { provisionTenant, withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { listAuditEvents } from '../src/modules/audit/index.js';
import { recordStatusReport } from '../src/modules/reporting/index.js';
import type { TestIdentity } from './support/identity.js';
import { createTestApp } from './support/app.js';
import { openTestDatabase, testDbKind, uniqueSlug } from './support/db.js';
import { pdfText } from './support/pdf.js';

const systemOf = (tenantSlug: string): Caller => ({
  kind: 'system',
  subject: 'system',
  name: 'system',
  roles: [],
  tenantSlug,
  requestId: null,
  sourceIp: null,
  userAgent: null,
});

type Fixture = { tenant: TenantRecord; driverA: { id: string; subject: string }; driverB: { id: string; subject: string } };

function snapshotOf(over: Partial<StatusReportSnapshot> & { driver: StatusReportSnapshot['driver'] }): StatusReportSnapshot {
  return {
    dispatchId: randomUUID(),
    workOrder: { id: randomUUID(), number: 'WO-2026-000417', description: 'Lift steel beams, east gate' },
    site: { id: randomUUID(), name: 'Harbour Quay', address: '1 Dock Road, Bristol' },
    equipment: {
      id: randomUUID(),
      assetTag: 'CR-07',
      name: 'Liebherr LTM 1090',
      typeId: randomUUID(),
      typeCode: 'CRANE-90',
      typeName: 'Mobile crane 90 t',
    },
    dispatcher: { kind: 'user', subject: 'disp-1', name: 'Dana Dispatcher' },
    priority: 'urgent',
    finalStatus: 'completed',
    timestamps: {
      requestedAt: '2026-03-28T23:30:00Z',
      createdAt: '2026-03-28T23:30:00Z',
      queuedAt: '2026-03-28T23:30:00Z',
      dispatchedAt: '2026-03-29T00:15:00Z',
      enRouteAt: '2026-03-29T00:20:00Z',
      onSiteAt: '2026-03-29T01:05:00Z',
      returningAt: '2026-03-29T03:35:00Z',
      completedAt: '2026-03-29T04:10:30Z',
    },
    notes: 'All beams placed; gate B used.',
    ...over,
  };
}

describe(`status reports on ${testDbKind()}`, () => {
  let database: Database;
  let app: FastifyInstance;
  let identity: TestIdentity;
  let fx: Fixture;
  let completedId: string;
  let recalledId: string;
  let otherId: string;
  const tokenFor = (role: Role, sub = `${role}-1`): Promise<string> =>
    identity.token({ roles: [role], tenant: fx.tenant.slug, sub, name: `Name ${sub}` });
  const get = async (url: string, role: Role = 'dispatcher', sub?: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await tokenFor(role, sub)}` } });

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, identity } = await createTestApp(database));
    const tenant = await provisionTenant(
      database.db,
      { slug: uniqueSlug('rs'), name: 'Acme Lifting Ltd', timeZone: 'Europe/London' },
      migrations.tenant,
    );
    const drivers = await withTenant(database.db, tenant.slug, async (tx) => {
      const { rows } = await sql<{ id: string; subject: string }>`
        insert into drivers (name, subject) values ('Alex Driver', 'drv-a'), ('Billie Driver', 'drv-b') returning id, subject`.execute(tx);
      return rows;
    });
    fx = { tenant, driverA: drivers.find((d) => d.subject === 'drv-a')!, driverB: drivers.find((d) => d.subject === 'drv-b')! };
    const sys = systemOf(tenant.slug);
    await withTenant(database.db, tenant.slug, async (tx) => {
      completedId = (await recordStatusReport(tx, sys, snapshotOf({ driver: { id: fx.driverA.id, name: 'Alex Driver' } }))).id;
      recalledId = (
        await recordStatusReport(
          tx,
          sys,
          snapshotOf({
            driver: { id: fx.driverA.id, name: 'Alex Driver' },
            workOrder: { id: randomUUID(), number: 'WO-2026-000500', description: null },
            finalStatus: 'recalled',
            dispatcher: { kind: 'system', subject: 'system', name: 'system' },
            timestamps: {
              createdAt: '2026-04-01T08:00:00Z',
              dispatchedAt: '2026-04-01T08:00:05Z',
              enRouteAt: '2026-04-01T08:10:00Z',
              recalledAt: '2026-04-01T08:40:00Z',
            },
            notes: null,
            recallReason: 'Customer postponed the lift',
          }),
        )
      ).id;
      otherId = (
        await recordStatusReport(
          tx,
          sys,
          snapshotOf({
            driver: { id: fx.driverB.id, name: 'Billie Driver' },
            workOrder: { id: randomUUID(), number: 'WO-2026-000600', description: 'Other' },
            timestamps: {
              createdAt: '2026-04-02T08:00:00Z',
              dispatchedAt: '2026-04-02T08:05:00Z',
              onSiteAt: '2026-04-02T09:00:00Z',
              completedAt: '2026-04-02T10:00:00Z',
            },
          }),
        )
      ).id;
    });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('stores a completed report with every timestamp and computed durations, audited', async () => {
    const res = await get(`/api/v1/reports/${completedId}`);
    expect(res.statusCode).toBe(200);
    const r = res.json<StatusReport>();
    expect(r.number).toMatch(/^SR-\d{6}$/);
    expect(r.finalStatus).toBe('completed');
    expect(r.workOrder.number).toBe('WO-2026-000417');
    expect(r.timestamps.completedAt).toBe('2026-03-29T04:10:30.000Z');
    expect(r.finishedAt).toBe('2026-03-29T04:10:30.000Z');
    expect(r.durations).toEqual({
      total: 4 * 3600 + 40 * 60 + 30,
      queueWait: 45 * 60,
      toDispatch: 45 * 60,
      dispatchedToEnRoute: 5 * 60,
      travelToSite: 45 * 60,
      toSite: 50 * 60,
      onSite: 2.5 * 3600,
      returning: 35 * 60 + 30,
      busy: 3 * 3600 + 55 * 60 + 30,
    });
    expect(r.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.corrections).toEqual([]);
    const events = await withTenant(database.db, fx.tenant.slug, (tx) =>
      listAuditEvents(tx, { entityType: 'status_report', entityId: completedId }),
    );
    expect(events.map((e) => e.action)).toContain('status_report.created');
  });

  it('records a recalled dispatch with its reason, and is idempotent per dispatch', async () => {
    const r = (await get(`/api/v1/reports/${recalledId}`)).json<StatusReport>();
    expect(r.finalStatus).toBe('recalled');
    expect(r.recallReason).toBe('Customer postponed the lift');
    expect(r.timestamps.recalledAt).toBe('2026-04-01T08:40:00.000Z');
    expect(r.timestamps.completedAt).toBeNull();
    expect(r.dispatcher).toEqual({ kind: 'system', subject: 'system', name: 'system' });
    expect(r.durations.onSite).toBeNull();
    expect(r.durations.busy).toBe(40 * 60 - 5);
    const again = await withTenant(database.db, fx.tenant.slug, (tx) =>
      recordStatusReport(tx, systemOf(fx.tenant.slug), {
        ...snapshotOf({ driver: { id: fx.driverA.id, name: 'Alex Driver' } }),
        dispatchId: r.dispatchId,
      }),
    );
    expect(again.id).toBe(recalledId);
  });

  it('refuses an inconsistent snapshot with field errors, rolling back the caller’s transaction', async () => {
    const bad = snapshotOf({ driver: { id: fx.driverA.id, name: 'Alex Driver' }, finalStatus: 'recalled' });
    const error = await withTenant(database.db, fx.tenant.slug, (tx) => recordStatusReport(tx, systemOf(fx.tenant.slug), bad)).then(
      () => null,
      (e: unknown) => e as { status: number; errors: Array<{ field: string }> },
    );
    expect(error?.status).toBe(422);
    expect(error?.errors.map((e) => e.field)).toContain('timestamps.recalledAt');
  });

  it('lists with filters and keyset pagination; dispatchers, admins and viewers see all', async () => {
    for (const role of ['dispatcher', 'admin', 'viewer'] as const) {
      const page = (await get('/api/v1/reports', role)).json<ReportPage>();
      expect(
        page.items.map((i) => i.id),
        role,
      ).toEqual([otherId, recalledId, completedId]);
    }
    const first = (await get('/api/v1/reports?limit=2')).json<ReportPage>();
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBeTruthy();
    const second = (await get(`/api/v1/reports?limit=2&cursor=${first.nextCursor}`)).json<ReportPage>();
    expect(second.items.map((i) => i.id)).toEqual([completedId]);
    expect(second.nextCursor).toBeNull();
    expect((await get('/api/v1/reports?status=recalled')).json<ReportPage>().items.map((i) => i.id)).toEqual([recalledId]);
    expect((await get(`/api/v1/reports?driverId=${fx.driverB.id}`)).json<ReportPage>().items.map((i) => i.id)).toEqual([otherId]);
    expect((await get('/api/v1/reports?workOrderNumber=WO-2026-000417')).json<ReportPage>().items.map((i) => i.id)).toEqual([completedId]);
    const ranged = await get(
      `/api/v1/reports?from=${encodeURIComponent('2026-04-01T00:00:00Z')}&to=${encodeURIComponent('2026-04-02T00:00:00Z')}`,
    );
    expect(ranged.json<ReportPage>().items.map((i) => i.id)).toEqual([recalledId]);
    const bad = await get('/api/v1/reports?status=lost&cursor=zzz');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Problem>().errors?.map((e) => e.field)).toContain('querystring.status');
    const badCursor = await get('/api/v1/reports?cursor=zzz');
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json<Problem>().errors?.map((e) => e.field)).toEqual(['cursor']);
  });

  it('drivers see only their own reports; someone else’s is 404', async () => {
    const mine = (await get('/api/v1/reports', 'driver', 'drv-b')).json<ReportPage>();
    expect(mine.items.map((i) => i.id)).toEqual([otherId]);
    expect((await get(`/api/v1/reports/${otherId}`, 'driver', 'drv-b')).statusCode).toBe(200);
    expect((await get(`/api/v1/reports/${completedId}`, 'driver', 'drv-b')).statusCode).toBe(404);
    expect((await get(`/api/v1/reports/${completedId}/pdf`, 'driver', 'drv-b')).statusCode).toBe(404);
    const unlinked = (await get('/api/v1/reports', 'driver', 'nobody')).json<ReportPage>();
    expect(unlinked.items).toEqual([]);
  });

  it('appending a note leaves the original untouched; UPDATE and DELETE of a report are refused', async () => {
    const before = (await get(`/api/v1/reports/${completedId}`)).json<StatusReport>();
    const post = async (role: Role, body: unknown) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/reports/${completedId}/notes`,
        headers: { authorization: `Bearer ${await tokenFor(role)}` },
        payload: body as object,
      });
    expect((await post('viewer', { body: 'x' })).statusCode).toBe(403);
    expect((await post('driver', { body: 'x' })).statusCode).toBe(403);
    expect((await post('dispatcher', { body: '  ' })).statusCode).toBe(400);
    const res = await post('dispatcher', { body: 'Gate was A, not B.' });
    expect(res.statusCode).toBe(201);
    const note = res.json<ReportNote>();
    expect(note.author).toEqual({ subject: 'dispatcher-1', name: 'Name dispatcher-1' });
    const after = (await get(`/api/v1/reports/${completedId}`)).json<StatusReport>();
    const { corrections, ...rest } = after;
    const { corrections: none, ...restBefore } = before;
    expect(none).toEqual([]);
    expect(rest).toEqual(restBefore);
    expect(corrections).toEqual([note]);

    for (const statement of [
      sql`update status_reports set notes = 'tampered' where id = ${completedId}`,
      sql`delete from status_reports where id = ${completedId}`,
      sql`update status_report_notes set body = 'tampered'`,
      sql`delete from status_report_notes`,
    ]) {
      await expect(withTenant(database.db, fx.tenant.slug, (tx) => statement.execute(tx))).rejects.toThrow();
    }
    // Even the owner (migrations, operators) is refused by the trigger.
    await expect(
      sql`update ${sql.id(`t_${fx.tenant.slug}`, 'status_reports')} set notes = 'tampered'`.execute(database.db),
    ).rejects.toThrow(/immutable/);
    expect((await get(`/api/v1/reports/${completedId}`)).json<StatusReport>().notes).toBe('All beams placed; gate B used.');
  });

  it('downloads JSON with a file name', async () => {
    const res = await get(`/api/v1/reports/${recalledId}/json`, 'viewer');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="SR-\d{6}\.json"/);
    expect(res.json<StatusReport>().id).toBe(recalledId);
  });

  it('renders a one-page PDF whose text carries the work order, driver and local timestamps', async () => {
    const res = await get(`/api/v1/reports/${completedId}/pdf`, 'viewer');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(1);
    const text = pdfText(pdf);
    const report = (await get(`/api/v1/reports/${completedId}`)).json<StatusReport>();
    expect(text).toContain('Acme Lifting Ltd');
    expect(text).toContain(report.number);
    expect(text).toContain('WO-2026-000417');
    expect(text).toContain('Alex Driver');
    expect(text).toContain('Harbour Quay');
    expect(text).toContain('CR-07');
    expect(text).toContain('Dana Dispatcher');
    expect(text).toContain('Timeline (Europe/London)');
    // 2026-03-29 is the spring-forward day in London: 00:15Z is 00:15 GMT, 01:05Z is 02:05 BST.
    expect(text).toContain('2026-03-29 00:15:00 GMT');
    expect(text).toContain('2026-03-29 02:05:00 BST');
    expect(text).toContain('2026-03-29 05:10:30 BST');
    expect(text).toContain('Gate was A, not B.');
    expect(text).toContain(report.contentHash);
    expect(text).toContain('COMPLETED');
  });

  it('renders the recall reason on a recalled report', async () => {
    const text = pdfText((await get(`/api/v1/reports/${recalledId}/pdf`)).rawPayload);
    expect(text).toContain('RECALLED');
    expect(text).toContain('Customer postponed the lift');
    expect(text).toContain('WO-2026-000500');
  });

  it('404s an unknown report and 400s a malformed id', async () => {
    expect((await get(`/api/v1/reports/${randomUUID()}`)).statusCode).toBe(404);
    expect((await get('/api/v1/reports/nope')).statusCode).toBe(400);
  });
});
