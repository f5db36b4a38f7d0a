import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateWorkOrder } from '@yardmaster/contracts';
import {
  advanceDispatch,
  cancelDispatch,
  createWorkOrder,
  declineDispatch,
  dispatchManually,
  explainDispatch,
  recallDispatch,
  sweepTenant,
} from '../src/modules/dispatch/index.js';
import { entityHistory } from '../src/modules/audit/index.js';
import { subscribe } from '../src/platform/events.js';
import { setDriverDuty } from '../src/modules/people/index.js';
import { returnToService, sendToMaintenance } from '../src/modules/fleet/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller, driverCaller, type Fleet } from './support/fleet.js';

type Row = {
  id: string;
  status: string;
  equipment_id: string | null;
  driver_id: string | null;
  queued_at: Date | null;
  work_order_id: string;
};

describe(`dispatch engine on ${testDbKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  async function setup(spec: Parameters<typeof buildFleet>[2]): Promise<{ slug: string; fleet: Fleet }> {
    const tenant = await createTestTenant(database, 'd');
    return { slug: tenant.slug, fleet: await buildFleet(database, tenant.slug, spec) };
  }
  const order = (fleet: Fleet, type: string, extra: Partial<CreateWorkOrder> = {}): CreateWorkOrder => ({
    siteId: fleet.siteId,
    description: `Need a ${type}`,
    priority: 'standard',
    lines: [{ equipmentTypeId: fleet.typeIds[type] ?? '', quantity: 1 }],
    ...extra,
  });
  const create = (slug: string, input: CreateWorkOrder) =>
    withTenant(database.db, slug, (tx) => createWorkOrder(tx, dispatcherCaller(slug), input));
  const dispatchesOf = (slug: string, workOrderId: string) =>
    withTenant(
      database.db,
      slug,
      async (tx) =>
        (
          await sql<Row>`select id, status, equipment_id, driver_id, queued_at, work_order_id from dispatches where work_order_id = ${workOrderId} order by created_at`.execute(
            tx,
          )
        ).rows,
    );
  const one = async (slug: string, workOrderId: string): Promise<Row> => {
    const rows = await dispatchesOf(slug, workOrderId);
    const row = rows[rows.length - 1];
    if (!row) throw new Error('no dispatch');
    return row;
  };
  const versionOf = (slug: string, id: string) =>
    withTenant(
      database.db,
      slug,
      async (tx) => (await sql<{ version: number }>`select version from dispatches where id = ${id}`.execute(tx)).rows[0]?.version ?? 0,
    );

  it('dispatches at once when a qualified driver and equipment are free, reserving both', async () => {
    const { slug, fleet } = await setup({ types: { CRANE: ['NCCCO'] }, equipment: { CRANE: 1 }, drivers: [{ quals: ['NCCCO'] }] });
    const wo = await create(slug, order(fleet, 'CRANE'));
    expect(wo.status).toBe('assigned');
    const d = await one(slug, wo.id);
    expect(d).toMatchObject({ status: 'dispatched', equipment_id: fleet.equipmentIds.CRANE?.[0], driver_id: fleet.driverIds[0] });
    const equipmentStatus = await withTenant(
      database.db,
      slug,
      async (tx) => (await sql<{ status: string }>`select status from equipment where id = ${d.equipment_id}`.execute(tx)).rows[0]?.status,
    );
    expect(equipmentStatus).toBe('dispatched');
  });

  it('rejects a request for a type the fleet has no equipment of (422) and writes nothing', async () => {
    const { slug, fleet } = await setup({ types: { CRANE: [], DOZER: [] }, equipment: { CRANE: 1 }, drivers: [] });
    await expect(create(slug, order(fleet, 'DOZER'))).rejects.toMatchObject({ status: 422 });
    const count = await withTenant(
      database.db,
      slug,
      async (tx) => (await sql<{ n: number }>`select count(*)::int as n from work_orders`.execute(tx)).rows[0]?.n,
    );
    expect(count).toBe(0);
  });

  it('queues when no qualified driver is free and fulfils the moment one goes on duty (same transaction)', async () => {
    const { slug, fleet } = await setup({
      types: { TRUCK: ['CDL'] },
      equipment: { TRUCK: 1 },
      drivers: [
        { quals: ['CDL'], onDuty: false },
        { quals: [], onDuty: true },
      ],
    });
    const wo = await create(slug, order(fleet, 'TRUCK'));
    expect((await one(slug, wo.id)).status).toBe('queued');
    await withTenant(database.db, slug, (tx) =>
      setDriverDuty(tx, dispatcherCaller(slug), fleet.driverIds[0] ?? '', undefined, { dutyStatus: 'on_duty' }),
    );
    expect(await one(slug, wo.id)).toMatchObject({ status: 'dispatched', driver_id: fleet.driverIds[0] });
  });

  it('never assigns a driver whose required qualification has expired', async () => {
    const { slug, fleet } = await setup({
      types: { TANKER: ['HAZMAT'] },
      equipment: { TANKER: 1 },
      drivers: [{ quals: [{ code: 'HAZMAT', expiresAt: '2020-01-01T00:00:00Z' }] }],
    });
    const wo = await create(slug, order(fleet, 'TANKER'));
    expect((await one(slug, wo.id)).status).toBe('queued');
  });

  it('serves urgent before standard before low, first come first served within a level', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }] });
    // Occupy the only van so the next requests queue.
    const first = await create(slug, order(fleet, 'VAN'));
    const low = await create(slug, order(fleet, 'VAN', { priority: 'low' }));
    const std1 = await create(slug, order(fleet, 'VAN', { priority: 'standard' }));
    const urgent = await create(slug, order(fleet, 'VAN', { priority: 'urgent' }));
    const std2 = await create(slug, order(fleet, 'VAN', { priority: 'standard' }));
    const served: string[] = [];
    let current = await one(slug, first.id);
    for (let i = 0; i < 4; i++) {
      {
        const v = await versionOf(slug, current.id);
        await withTenant(database.db, slug, (tx) => advanceDispatch(tx, dispatcherCaller(slug), current.id, v, { status: 'completed' }));
      }
      const next = await withTenant(
        database.db,
        slug,
        async (tx) =>
          (
            await sql<Row>`select id, status, equipment_id, driver_id, queued_at, work_order_id from dispatches where status = 'dispatched'`.execute(
              tx,
            )
          ).rows,
      );
      expect(next).toHaveLength(1);
      current = next[0] as Row;
      served.push(current.work_order_id);
    }
    expect(served).toEqual([urgent.id, std1.id, std2.id, low.id]);
  });

  it('does not let a head of line block requests for another type', async () => {
    const { slug, fleet } = await setup({
      types: { CRANE: ['NCCCO'], VAN: [] },
      equipment: { CRANE: 1, VAN: 1 },
      drivers: [{ quals: [] }],
    });
    const crane = await create(slug, order(fleet, 'CRANE', { priority: 'urgent' }));
    const van = await create(slug, order(fleet, 'VAN', { priority: 'low' }));
    expect((await one(slug, crane.id)).status).toBe('queued');
    expect((await one(slug, van.id)).status).toBe('dispatched');
  });

  it('a decline returns the dispatch to its original place in the queue, ahead of newer requests', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }, { quals: [] }] });
    const older = await create(slug, order(fleet, 'VAN'));
    const declined = await one(slug, older.id);
    const newer = await create(slug, order(fleet, 'VAN'));
    expect((await one(slug, newer.id)).status).toBe('queued');
    const driverIndex = fleet.driverIds.indexOf(declined.driver_id ?? '');
    const subject = fleet.driverSubjects[driverIndex] ?? '';
    {
      const v = await versionOf(slug, declined.id);
      await withTenant(database.db, slug, (tx) => declineDispatch(tx, driverCaller(slug, subject), declined.id, v, 'flat tyre'));
    }
    const again = await one(slug, older.id);
    expect(again.status).toBe('dispatched');
    expect(again.queued_at?.getTime()).toBe(declined.queued_at?.getTime());
    expect(again.driver_id).not.toBe(declined.driver_id);
    expect((await one(slug, newer.id)).status).toBe('queued');
  });

  it('lets drivers move only their own dispatch forward, in order', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 2 }, drivers: [{ quals: [] }, { quals: [] }] });
    const wo = await create(slug, order(fleet, 'VAN'));
    const d = await one(slug, wo.id);
    const ownerIndex = fleet.driverIds.indexOf(d.driver_id ?? '');
    const owner = driverCaller(slug, fleet.driverSubjects[ownerIndex] ?? '');
    const other = driverCaller(slug, fleet.driverSubjects[1 - ownerIndex] ?? '');
    await expect(
      withTenant(database.db, slug, async (tx) => advanceDispatch(tx, other, d.id, undefined, { status: 'en_route' })),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      withTenant(database.db, slug, async (tx) => advanceDispatch(tx, owner, d.id, undefined, { status: 'on_site' })),
    ).rejects.toMatchObject({ status: 409 });
    for (const status of ['en_route', 'on_site', 'returning', 'completed'] as const) {
      {
        const v = await versionOf(slug, d.id);
        await withTenant(database.db, slug, (tx) => advanceDispatch(tx, owner, d.id, v, { status, notes: `now ${status}` }));
      }
    }
    const done = await one(slug, wo.id);
    expect(done.status).toBe('completed');
    const after = await withTenant(database.db, slug, async (tx) => ({
      equipment: (await sql<{ status: string }>`select status from equipment where id = ${d.equipment_id}`.execute(tx)).rows[0]?.status,
      workOrder: (await sql<{ status: string }>`select status from work_orders where id = ${wo.id}`.execute(tx)).rows[0]?.status,
      reports: (await sql<{ n: number }>`select count(*)::int as n from status_reports where dispatch_id = ${d.id}`.execute(tx)).rows[0]?.n,
    }));
    expect(after).toEqual({ equipment: 'available', workOrder: 'completed', reports: 1 });
  });

  it('refuses a stale version with 409', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }] });
    const wo = await create(slug, order(fleet, 'VAN'));
    const d = await one(slug, wo.id);
    const version = await versionOf(slug, d.id);
    await withTenant(database.db, slug, (tx) => advanceDispatch(tx, dispatcherCaller(slug), d.id, version, { status: 'en_route' }));
    await expect(
      withTenant(database.db, slug, (tx) => advanceDispatch(tx, dispatcherCaller(slug), d.id, version, { status: 'on_site' })),
    ).rejects.toMatchObject({
      status: 409,
      type: '/problems/stale-version',
    });
  });

  it('recall frees the resources, writes the report and queues the line again', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }] });
    const wo = await create(slug, order(fleet, 'VAN'));
    const d = await one(slug, wo.id);
    {
      const v = await versionOf(slug, d.id);
      await withTenant(database.db, slug, (tx) => recallDispatch(tx, dispatcherCaller(slug), d.id, v, 'wrong site'));
    }
    const rows = await dispatchesOf(slug, wo.id);
    expect(rows.map((r) => r.status)).toEqual(['recalled', 'dispatched']);
    const report = await withTenant(
      database.db,
      slug,
      async (tx) =>
        (await sql<{ final_status: string }>`select final_status from status_reports where dispatch_id = ${d.id}`.execute(tx)).rows[0],
    );
    expect(report?.final_status).toBe('recalled');
  });

  it('cancels only scheduled or queued dispatches', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }] });
    const running = await create(slug, order(fleet, 'VAN'));
    const waiting = await create(slug, order(fleet, 'VAN'));
    const r = await one(slug, running.id);
    const w = await one(slug, waiting.id);
    await expect(
      withTenant(database.db, slug, (tx) => cancelDispatch(tx, dispatcherCaller(slug), r.id, undefined, 'no')),
    ).rejects.toMatchObject({ status: 409 });
    await withTenant(database.db, slug, (tx) => cancelDispatch(tx, dispatcherCaller(slug), w.id, undefined, 'not needed'));
    expect((await one(slug, waiting.id)).status).toBe('cancelled');
    const woStatus = await withTenant(
      database.db,
      slug,
      async (tx) => (await sql<{ status: string }>`select status from work_orders where id = ${waiting.id}`.execute(tx)).rows[0]?.status,
    );
    expect(woStatus).toBe('cancelled');
  });

  it('with automatic processing off the queue waits for a manual pick, validated like automatic assignment', async () => {
    const { slug, fleet } = await setup({
      types: { CRANE: ['NCCCO'] },
      equipment: { CRANE: 1 },
      drivers: [{ quals: ['NCCCO'] }, { quals: [] }],
    });
    await withTenant(database.db, slug, (tx) =>
      sql`insert into tenant_settings (key, value) values ('dispatch', '{"autoProcessing": false}'::jsonb)`.execute(tx),
    );
    const wo = await create(slug, order(fleet, 'CRANE'));
    const d = await one(slug, wo.id);
    expect(d.status).toBe('queued');
    const unqualified = { equipmentId: fleet.equipmentIds.CRANE?.[0] ?? '', driverId: fleet.driverIds[1] ?? '' };
    const refused = await withTenant(database.db, slug, (tx) =>
      dispatchManually(tx, dispatcherCaller(slug), d.id, undefined, unqualified),
    ).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 409 });
    expect((refused as Error).message).toContain('lacks a required qualification');
    await withTenant(database.db, slug, (tx) =>
      dispatchManually(tx, dispatcherCaller(slug), d.id, undefined, { ...unqualified, driverId: fleet.driverIds[0] ?? '' }),
    );
    expect(await one(slug, wo.id)).toMatchObject({ status: 'dispatched', driver_id: fleet.driverIds[0] });
  });

  it('equipment back from maintenance is matched at once; in maintenance it is never assigned', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }] });
    const van = fleet.equipmentIds.VAN?.[0] ?? '';
    const admin = { ...dispatcherCaller(slug), roles: ['admin'] };
    await withTenant(database.db, slug, (tx) => sendToMaintenance(tx, dispatcherCaller(slug), van, undefined, 'hydraulic leak'));
    const wo = await create(slug, order(fleet, 'VAN'));
    expect((await one(slug, wo.id)).status).toBe('queued');
    await withTenant(database.db, slug, (tx) => returnToService(tx, admin, van, undefined, 'fixed'));
    expect((await one(slug, wo.id)).status).toBe('dispatched');
  });

  it('a future request is scheduled and enters the queue when its start comes (durable timer)', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [] }] });
    const start = new Date(Date.now() + 3 * 3600_000).toISOString();
    const wo = await create(slug, order(fleet, 'VAN', { requestedStart: start }));
    const d = await one(slug, wo.id);
    expect(d.status).toBe('scheduled');
    expect((await sweepTenant(database, slug)).promoted).toBe(0);
    // Time passes: the start is now within the lead time.
    await withTenant(database.db, slug, (tx) =>
      sql`update dispatches set requested_start = now() + interval '5 minutes' where id = ${d.id}`.execute(tx),
    );
    expect((await sweepTenant(database, slug)).promoted).toBe(1);
    expect((await one(slug, wo.id)).status).toBe('dispatched');
  });

  it('the database itself refuses double booking and unqualified or off-duty assignment', async () => {
    const { slug, fleet } = await setup({
      types: { CRANE: ['NCCCO'] },
      equipment: { CRANE: 2 },
      drivers: [{ quals: ['NCCCO'] }, { quals: [] }],
    });
    const a = await create(slug, order(fleet, 'CRANE'));
    const b = await create(slug, order(fleet, 'CRANE'));
    const da = await one(slug, a.id);
    const db = await one(slug, b.id);
    expect(db.status).toBe('queued');
    const second = fleet.equipmentIds.CRANE?.find((id) => id !== da.equipment_id) ?? '';
    // Same driver on a second active dispatch: the unique partial index refuses it.
    await expect(
      withTenant(database.db, slug, async (tx) => {
        await sql`update equipment set status = 'dispatched' where id = ${second}`.execute(tx);
        await sql`update dispatches set status = 'dispatched', equipment_id = ${second}, driver_id = ${da.driver_id}, dispatched_at = now() where id = ${db.id}`.execute(
          tx,
        );
      }),
    ).rejects.toMatchObject({ code: '23505' });
    // An unqualified driver: the assignment trigger refuses it.
    await expect(
      withTenant(database.db, slug, async (tx) => {
        await sql`update equipment set status = 'dispatched' where id = ${second}`.execute(tx);
        await sql`update dispatches set status = 'dispatched', equipment_id = ${second}, driver_id = ${fleet.driverIds[1]}, dispatched_at = now() where id = ${db.id}`.execute(
          tx,
        );
      }),
    ).rejects.toThrow(/lacks 1 required qualification/);
    expect((await one(slug, b.id)).status).toBe('queued');
  });

  it('explains a wait by name: who is busy on which work order until when, which machine is in maintenance and why, who is off duty, whose ticket expired', async () => {
    const { slug, fleet } = await setup({
      types: { CRANE: ['NCCCO'] },
      equipment: { CRANE: 2 },
      drivers: [
        { name: 'Ann Ortiz', quals: ['NCCCO'] },
        { name: 'Bob Reyes', quals: ['NCCCO'], onDuty: false },
        { name: 'Casey Lin', quals: [{ code: 'NCCCO', expiresAt: '2021-01-01T00:00:00Z' }] },
      ],
    });
    const first = await create(slug, order(fleet, 'CRANE'));
    const busyCrane = (await one(slug, first.id)).equipment_id;
    const other = fleet.equipmentIds.CRANE?.find((id) => id !== busyCrane) ?? '';
    await withTenant(database.db, slug, (tx) => sendToMaintenance(tx, dispatcherCaller(slug), other, undefined, 'hydraulic leak'));
    const waiting = await create(slug, order(fleet, 'CRANE'));
    const d = await one(slug, waiting.id);
    const explain = await withTenant(database.db, slug, (tx) => explainDispatch(tx, dispatcherCaller(slug), d.id));
    const text = explain.blockers.map((b) => b.message).join(' | ');
    expect(explain.queuePosition).toBe(1);
    expect(text).toContain(`on ${first.number} with Ann Ortiz until about`);
    expect(text).toMatch(/CRANE-\d — in maintenance since \d{4}-\d\d-\d\d \(hydraulic leak\)/);
    expect(text).toContain(`Ann Ortiz, the only qualified driver on duty, is busy: Ann Ortiz — on ${first.number}`);
    expect(text).toContain('qualified but off duty: Bob Reyes');
    expect(text).toContain('Casey Lin — NCCCO expired on 2021-01-01');
    expect(explain.summary.length).toBeGreaterThan(0);
    expect(explain.estimatedAssignmentAt).not.toBeNull();
  });

  it('keeps the only holder of a rare ticket free when any driver could do the job, even with an empty queue', async () => {
    // Ann was created first (idle longest) but holds the ticket the fleet's cranes need.
    const { slug, fleet } = await setup({
      types: { VAN: [], CRANE: ['NCCCO'] },
      equipment: { VAN: 1, CRANE: 1 },
      drivers: [{ quals: ['NCCCO'] }, { quals: [] }],
    });
    const wo = await create(slug, order(fleet, 'VAN'));
    expect(await one(slug, wo.id)).toMatchObject({ status: 'dispatched', driver_id: fleet.driverIds[1] });
  });

  it('gives every dispatch its own audit history from birth, and a queue removal is in it', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [] });
    const wo = await create(slug, order(fleet, 'VAN'));
    const d = await one(slug, wo.id);
    await withTenant(database.db, slug, (tx) => cancelDispatch(tx, dispatcherCaller(slug), d.id, undefined, 'not needed'));
    const history = await withTenant(database.db, slug, (tx) =>
      entityHistory(tx, dispatcherCaller(slug), { entityType: 'dispatch', entityId: d.id, limit: 50, order: 'asc' }),
    );
    expect(history.items.map((e) => e.action)).toEqual(['dispatch.queued', 'dispatch.cancelled']);
  });

  it('a failing matcher never undoes the capacity change that triggered it; the failure is reported', async () => {
    const { slug, fleet } = await setup({ types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [], onDuty: false }] });
    const reported: unknown[] = [];
    subscribe(
      'capacity.changed',
      'test.failing-matcher',
      () => Promise.reject(new Error('matcher down')),
      (error) => void reported.push(error),
    );
    try {
      await withTenant(database.db, slug, (tx) =>
        setDriverDuty(tx, dispatcherCaller(slug), fleet.driverIds[0] ?? '', undefined, { dutyStatus: 'on_duty' }),
      );
    } finally {
      subscribe(
        'capacity.changed',
        'test.failing-matcher',
        () => Promise.resolve(),
        () => undefined,
      );
    }
    const duty = await withTenant(
      database.db,
      slug,
      async (tx) =>
        (await sql<{ duty_status: string }>`select duty_status from drivers where id = ${fleet.driverIds[0]}`.execute(tx)).rows[0]
          ?.duty_status,
    );
    expect(duty).toBe('on_duty');
    expect(String(reported[0])).toContain('matcher down');
  });
});
