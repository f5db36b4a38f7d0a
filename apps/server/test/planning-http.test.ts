import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecurringWorkOrder } from '@yardmaster/contracts';
import { withTenant, type Database, type TenantRecord } from '../src/platform/db/index.js';
import { entityHistory } from '../src/modules/audit/index.js';
import { getWorkOrder } from '../src/modules/dispatch/index.js';
import { createTestApp, type TestApp } from './support/app.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller, type Fleet } from './support/fleet.js';

/** The planning routes over HTTP: leave requested by a driver and decided by a dispatcher, audited; recurring work and its calendar edits; bad input answered 422 naming the field. */
describe(`planning over HTTP on ${testDbKind()}`, () => {
  let database: Database;
  let testApp: TestApp;
  let tenant: TenantRecord;
  let fleet: Fleet;
  let admin: string;
  let dispatcher: string;
  let driver: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    testApp = await createTestApp(database);
    tenant = await createTestTenant(database, 'plh');
    fleet = await buildFleet(database, tenant.slug, {
      types: { CR: ['CPCS'] },
      equipment: { CR: 1 },
      drivers: [
        { name: 'Bob Baker', quals: ['CPCS'], onDuty: false },
        { name: 'Eve', quals: ['CPCS'], onDuty: false },
      ],
    });
    admin = await testApp.identity.token({ roles: ['admin'], tenant: tenant.slug });
    dispatcher = await testApp.identity.token({ roles: ['dispatcher'], tenant: tenant.slug, name: 'Dana Dispatch' });
    driver = await testApp.identity.token({
      roles: ['driver'],
      tenant: tenant.slug,
      sub: fleet.driverSubjects[0] ?? '',
      name: 'Bob Baker',
    });
  });
  afterAll(async () => {
    await testApp.app.close();
    await database.close();
  });

  const call = async (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const response = await testApp.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return {
      status: response.statusCode,
      body: response.headers['content-type']?.toString().includes('json') ? response.json<Record<string, unknown>>() : {},
      text: response.body,
      headers: response.headers,
    };
  };
  const fieldsOf = (body: Record<string, unknown>) => ((body.errors as Array<{ field: string }> | undefined) ?? []).map((e) => e.field);

  it('answers 422 naming the field for a zone that does not exist, overlapping shifts, leave ending before it starts and a rule beyond the horizon', async () => {
    const zone = await call(admin, 'PUT', '/api/v1/planning/settings', { timeZone: 'Mars/Olympus_Mons' });
    expect(zone.status).toBe(422);
    expect(fieldsOf(zone.body)).toEqual(['timeZone']);
    const ok = await call(admin, 'PUT', '/api/v1/planning/settings', {
      timeZone: 'Europe/London',
      horizonDays: 28,
      maxOccurrencesPerSeries: 10,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ timeZone: 'Europe/London', allowOvertime: false });

    const bob = fleet.driverIds[0] ?? '';
    const first = await call(dispatcher, 'POST', '/api/v1/planning/shift-patterns', {
      driverId: bob,
      kind: 'weekly',
      weekdays: [1, 2, 3, 4, 5],
      startTime: '07:00',
      endTime: '15:30',
      validFrom: '2026-01-05',
    });
    expect(first.status).toBe(201);
    expect(first.body.summary).toBe('Mon–Fri 07:00–15:30');
    const overlap = await call(dispatcher, 'POST', '/api/v1/planning/shift-patterns', {
      driverId: bob,
      kind: 'rotating',
      anchorDate: '2026-01-01',
      onDays: 2,
      offDays: 2,
      startTime: '15:00',
      endTime: '20:00',
      validFrom: '2026-01-01',
    });
    expect(overlap.status).toBe(422);
    expect(fieldsOf(overlap.body)).toEqual(['startTime']);
    const patterns = await call(dispatcher, 'GET', `/api/v1/planning/shift-patterns?driverId=${bob}`);
    expect((patterns.body.items as unknown[]).length).toBe(1); // the refused pattern left nothing behind

    const backwards = await call(dispatcher, 'POST', '/api/v1/planning/time-off', {
      driverId: bob,
      firstDay: '2026-12-10',
      lastDay: '2026-12-08',
    });
    expect(backwards.status).toBe(422);
    expect(fieldsOf(backwards.body)).toEqual(['lastDay']);
    const notADay = await call(dispatcher, 'POST', '/api/v1/planning/time-off', {
      driverId: bob,
      firstDay: '2026-02-30',
      lastDay: '2026-03-02',
    });
    expect(fieldsOf(notADay.body)).toEqual(['firstDay']);

    const template = {
      siteId: fleet.siteId,
      description: 'Hourly lift',
      lines: [{ equipmentTypeId: fleet.typeIds.CR ?? '', quantity: 1 }],
    };
    const tooMany = await call(dispatcher, 'POST', '/api/v1/planning/recurring', {
      rule: 'FREQ=DAILY',
      localStart: '2027-01-01T07:00',
      workOrder: template,
    });
    expect(tooMany.status).toBe(201); // 28 days ahead from 1 Jan 2027 holds nothing yet
    const hourly = await call(dispatcher, 'POST', '/api/v1/planning/recurring', {
      rule: 'FREQ=HOURLY',
      localStart: new Date(Date.now() + 86_400_000).toISOString().slice(0, 16),
      workOrder: template,
    });
    expect(hourly.status).toBe(422);
    expect(fieldsOf(hourly.body)).toEqual(['rule']);
    const garbage = await call(dispatcher, 'POST', '/api/v1/planning/recurring', {
      rule: 'FREQ=FORTNIGHTLY',
      localStart: '2027-01-01T07:00',
      workOrder: template,
    });
    expect(garbage.status).toBe(422);
    expect(fieldsOf(garbage.body)).toEqual(['rule']);
    const window = await call(dispatcher, 'POST', '/api/v1/planning/maintenance-windows', {
      equipmentId: fleet.equipmentIds.CR?.[0],
      startsAt: '2027-01-02T10:00:00Z',
      endsAt: '2027-01-02T09:00:00Z',
      reason: 'service',
    });
    expect(fieldsOf(window.body)).toEqual(['endsAt']);
  });

  it('lets a driver ask for leave and a dispatcher approve it, every step audited; a driver cannot approve', async () => {
    const asked = await call(driver, 'POST', '/api/v1/planning/time-off', {
      firstDay: '2027-02-01',
      lastDay: '2027-02-05',
      reason: 'family',
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ driverName: 'Bob Baker', status: 'requested', firstDay: '2027-02-01', lastDay: '2027-02-05' });
    const id = String(asked.body.id);
    expect((await call(driver, 'POST', `/api/v1/planning/time-off/${id}/approve`, {})).status).toBe(403);
    const pending = await call(dispatcher, 'GET', '/api/v1/planning/time-off?status=requested');
    expect((pending.body.items as Array<{ id: string }>).map((l) => l.id)).toContain(id);
    const approved = await call(dispatcher, 'POST', `/api/v1/planning/time-off/${id}/approve`, { note: 'covered by Eve' });
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'Dana Dispatch', decisionNote: 'covered by Eve' });
    const again = await call(dispatcher, 'POST', `/api/v1/planning/time-off/${id}/decline`, {});
    expect(again.status).toBe(409);
    const mine = await call(driver, 'GET', '/api/v1/planning/time-off');
    expect((mine.body.items as Array<{ id: string; status: string }>).find((l) => l.id === id)?.status).toBe('approved');
    const history = await withTenant(database.db, tenant.slug, (tx) =>
      entityHistory(tx, dispatcherCaller(tenant.slug), { entityType: 'time_off', entityId: id, limit: 10, order: 'asc' }),
    );
    expect(history.items.map((e) => [e.action, e.actor.name])).toEqual([
      ['time_off.requested', 'Bob Baker'],
      ['time_off.approved', 'Dana Dispatch'],
    ]);
  });

  it('creates recurring work inside the horizon at local time, and edits this one or this and following like a calendar', async () => {
    // Next Monday, 07:00 London time: four Mondays fall inside the 28-day horizon.
    const next = new Date();
    next.setUTCDate(next.getUTCDate() + ((8 - next.getUTCDay()) % 7 || 7));
    const monday = next.toISOString().slice(0, 10);
    const template = {
      siteId: fleet.siteId,
      description: 'Weekly crane lift',
      priority: 'standard',
      lines: [{ equipmentTypeId: fleet.typeIds.CR ?? '', quantity: 1 }],
    };
    const created = await call(dispatcher, 'POST', '/api/v1/planning/recurring', {
      rule: 'FREQ=WEEKLY;BYDAY=MO',
      localStart: `${monday}T07:00`,
      workOrder: template,
    });
    expect(created.status).toBe(201);
    const series = created.body as unknown as RecurringWorkOrder;
    expect(series.occurrences.map((o) => o.status)).toEqual(['created', 'created', 'created', 'created']);
    expect(series.occurrences.every((o) => o.localStart.endsWith('T07:00'))).toBe(true);
    const wo = await withTenant(database.db, tenant.slug, (tx) =>
      getWorkOrder(tx, dispatcherCaller(tenant.slug), series.occurrences[0]?.workOrderId ?? ''),
    );
    expect(wo.requestedStart).toBe(series.occurrences[0]?.startsAt);

    const [o1, o2, o3] = series.occurrences;
    const skipped = await call(dispatcher, 'POST', `/api/v1/planning/recurring/${series.id}/occurrences/${o1?.id ?? ''}`, {
      scope: 'this',
      action: 'skip',
      reason: 'bank holiday',
    });
    expect(skipped.status).toBe(200);
    const afterSkip = skipped.body as unknown as RecurringWorkOrder;
    expect(afterSkip.occurrences[0]).toMatchObject({ status: 'skipped', skippedReason: 'bank holiday' });
    expect(
      (await withTenant(database.db, tenant.slug, (tx) => getWorkOrder(tx, dispatcherCaller(tenant.slug), o1?.workOrderId ?? ''))).status,
    ).toBe('cancelled');

    const moved = await call(dispatcher, 'POST', `/api/v1/planning/recurring/${series.id}/occurrences/${o2?.id ?? ''}`, {
      scope: 'this',
      action: 'change',
      localStart: `${o2?.localStart.slice(0, 10) ?? ''}T09:30`,
    });
    const afterMove = (moved.body as unknown as RecurringWorkOrder).occurrences[1];
    expect(afterMove?.status).toBe('detached');
    expect(afterMove?.workOrderId).not.toBe(o2?.workOrderId);

    const following = await call(dispatcher, 'POST', `/api/v1/planning/recurring/${series.id}/occurrences/${o3?.id ?? ''}`, {
      scope: 'following',
      action: 'change',
      rule: 'FREQ=WEEKLY;BYDAY=TU',
      localStart: `${o3?.localStart.slice(0, 10) ?? ''}T08:00`,
    });
    expect(following.status).toBe(200);
    const successor = following.body as unknown as RecurringWorkOrder;
    expect(successor.parentId).toBe(series.id);
    expect(successor.rule).toBe('FREQ=WEEKLY;BYDAY=TU');
    expect(successor.occurrences.length).toBeGreaterThan(0);
    expect(successor.occurrences.every((o) => new Date(`${o.localStart}:00Z`).getUTCDay() === 2 && o.localStart.endsWith('T08:00'))).toBe(
      true,
    );
    const old = (await call(dispatcher, 'GET', `/api/v1/planning/recurring/${series.id}`)).body as unknown as RecurringWorkOrder;
    // Nothing lost: the first is skipped with its reason, the second moved, the third and fourth skipped as replaced.
    expect(old.occurrences.map((o) => o.status)).toEqual(['skipped', 'detached', 'skipped', 'skipped']);
    expect(old.occurrences[3]?.skippedReason).toBe('replaced by a changed series');
  });
});
