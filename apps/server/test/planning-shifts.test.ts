import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateWorkOrder } from '@yardmaster/contracts';
import { createWorkOrder, explainDispatch } from '../src/modules/dispatch/index.js';
import {
  driverAvailableAtSql,
  selectShiftIntervals,
  writePlanningSettings,
  DEFAULT_PLANNING_SETTINGS,
} from '../src/modules/availability/index.js';
import { withTenant, type Database, type TenantTx } from '../src/platform/db/index.js';
import { createShiftPattern, putShiftException, createMaintenanceWindow } from '../src/modules/planning/shifts.js';
import { decideTimeOff, requestTimeOff } from '../src/modules/planning/time-off.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller, type Fleet } from './support/fleet.js';

/**
 * Shifts, leave, overtime and maintenance windows as matching sees them (the planning predicate),
 * including both daylight-saving changes in Europe/London and America/New_York: shifts stay at
 * their local wall-clock times.
 */
describe(`planning: shifts, leave and maintenance in matching on ${testDbKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  async function setup(
    zone: string,
    spec: Parameters<typeof buildFleet>[2],
    allowOvertime = false,
  ): Promise<{ slug: string; fleet: Fleet }> {
    const tenant = await createTestTenant(database, 'pl');
    const fleet = await buildFleet(database, tenant.slug, spec);
    await withTenant(database.db, tenant.slug, (tx) =>
      writePlanningSettings(tx, { ...DEFAULT_PLANNING_SETTINGS, timeZone: zone, allowOvertime }),
    );
    return { slug: tenant.slug, fleet };
  }
  const inTenant = <T>(slug: string, fn: (tx: TenantTx) => Promise<T>) => withTenant(database.db, slug, fn);
  const availableAt = (slug: string, driverId: string, at: string, needSeconds = 0) =>
    inTenant(
      slug,
      async (tx) =>
        (
          await sql<{
            ok: boolean;
          }>`select ${driverAvailableAtSql(sql`${driverId}::uuid`, sql`${at}::timestamptz`, sql<number>`${needSeconds}::float8`)} as ok`.execute(
            tx,
          )
        ).rows[0]?.ok,
    );
  const shifts = (slug: string, driverId: string, from: string, to: string) =>
    inTenant(slug, async (tx) =>
      (await selectShiftIntervals(tx, [driverId], new Date(from), new Date(to))).map((s) => [
        s.startsAt.toISOString(),
        s.endsAt.toISOString(),
      ]),
    );
  const weekdays = (slug: string, driverId: string, startTime: string, endTime: string, days = [1, 2, 3, 4, 5], zone = 'UTC') =>
    inTenant(slug, (tx) =>
      createShiftPattern(
        tx,
        dispatcherCaller(slug),
        { driverId, kind: 'weekly', weekdays: days, startTime, endTime, validFrom: '2026-01-01' },
        zone,
      ),
    );
  const order = (fleet: Fleet, type = 'CR'): CreateWorkOrder => ({
    siteId: fleet.siteId,
    description: 'lift',
    priority: 'standard',
    lines: [{ equipmentTypeId: fleet.typeIds[type] ?? '', quantity: 1 }],
  });
  const statusOf = (slug: string, workOrderId: string) =>
    inTenant(
      slug,
      async (tx) =>
        (
          await sql<{
            id: string;
            status: string;
            driver_id: string | null;
            equipment_id: string | null;
          }>`select id, status, driver_id, equipment_id from dispatches where work_order_id = ${workOrderId}`.execute(tx)
        ).rows[0],
    );

  it('keeps Mon–Fri 07:00–15:30 at 07:00 local across both London changes (GMT ⇄ BST)', async () => {
    const { slug, fleet } = await setup('Europe/London', {
      types: { CR: [] },
      equipment: { CR: 1 },
      drivers: [{ name: 'Bob', quals: [] }],
    });
    const bob = fleet.driverIds[0] ?? '';
    await weekdays(slug, bob, '07:00', '15:30', [1, 2, 3, 4, 5], 'Europe/London');
    // Spring forward on Sun 29 Mar 2026: Fri 27 Mar 07:00 GMT = 07:00Z; Mon 30 Mar 07:00 BST = 06:00Z.
    expect(await shifts(slug, bob, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
      ['2026-03-27T07:00:00.000Z', '2026-03-27T15:30:00.000Z'],
      ['2026-03-30T06:00:00.000Z', '2026-03-30T14:30:00.000Z'],
    ]);
    expect(await availableAt(slug, bob, '2026-03-30T06:30:00Z')).toBe(true); // 07:30 BST
    expect(await availableAt(slug, bob, '2026-03-27T06:30:00Z')).toBe(false); // 06:30 GMT
    expect(await availableAt(slug, bob, '2026-03-30T14:45:00Z')).toBe(false); // 15:45 BST
    // Fall back on Sun 25 Oct 2026: Fri 23 Oct 07:00 BST = 06:00Z; Mon 26 Oct 07:00 GMT = 07:00Z.
    expect(await shifts(slug, bob, '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual([
      ['2026-10-23T06:00:00.000Z', '2026-10-23T14:30:00.000Z'],
      ['2026-10-26T07:00:00.000Z', '2026-10-26T15:30:00.000Z'],
    ]);
    expect(await availableAt(slug, bob, '2026-10-26T06:30:00Z')).toBe(false); // 06:30 GMT
    expect(await availableAt(slug, bob, '2026-10-23T06:30:00Z')).toBe(true); // 07:30 BST
  });

  it('keeps shifts at local time across both New York changes, and a night shift over a change is 7 or 9 hours', async () => {
    const { slug, fleet } = await setup('America/New_York', {
      types: { CR: [] },
      equipment: { CR: 1 },
      drivers: [
        { name: 'Nat', quals: [] },
        { name: 'Nia', quals: [] },
      ],
    });
    const [nat, nia] = [fleet.driverIds[0] ?? '', fleet.driverIds[1] ?? ''];
    await weekdays(slug, nat, '07:00', '15:30', [1, 2, 3, 4, 5], 'America/New_York');
    await weekdays(slug, nia, '22:00', '06:00', [6], 'America/New_York');
    // Spring forward Sun 8 Mar 2026: Fri 6 Mar 07:00 EST = 12:00Z; Mon 9 Mar 07:00 EDT = 11:00Z.
    expect(await shifts(slug, nat, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      ['2026-03-06T12:00:00.000Z', '2026-03-06T20:30:00.000Z'],
      ['2026-03-09T11:00:00.000Z', '2026-03-09T19:30:00.000Z'],
    ]);
    // Fall back Sun 1 Nov 2026: Fri 30 Oct 07:00 EDT = 11:00Z; Mon 2 Nov 07:00 EST = 12:00Z.
    expect(await shifts(slug, nat, '2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual([
      ['2026-10-30T11:00:00.000Z', '2026-10-30T19:30:00.000Z'],
      ['2026-11-02T12:00:00.000Z', '2026-11-02T20:30:00.000Z'],
    ]);
    // Sat 7 Mar 22:00 EST → Sun 8 Mar 06:00 EDT: 7 hours; Sat 31 Oct 22:00 EDT → Sun 1 Nov 06:00 EST: 9 hours.
    expect(await shifts(slug, nia, '2026-03-07T00:00:00Z', '2026-03-09T00:00:00Z')).toEqual([
      ['2026-03-08T03:00:00.000Z', '2026-03-08T10:00:00.000Z'],
    ]);
    expect(await shifts(slug, nia, '2026-10-31T00:00:00Z', '2026-11-02T00:00:00Z')).toEqual([
      ['2026-11-01T02:00:00.000Z', '2026-11-01T11:00:00.000Z'],
    ]);
    // Inside the night shift just after the change (05:30 EDT = 09:30Z) and after its end (06:30 EDT = 10:30Z).
    expect(await availableAt(slug, nia, '2026-03-08T09:30:00Z')).toBe(true);
    expect(await availableAt(slug, nia, '2026-03-08T10:30:00Z')).toBe(false);
  });

  it('works rotating 4-on-4-off patterns and day exceptions (off, other hours)', async () => {
    const { slug, fleet } = await setup('UTC', { types: { CR: [] }, equipment: { CR: 1 }, drivers: [{ name: 'Rio', quals: [] }] });
    const rio = fleet.driverIds[0] ?? '';
    await inTenant(slug, (tx) =>
      createShiftPattern(
        tx,
        dispatcherCaller(slug),
        {
          driverId: rio,
          kind: 'rotating',
          anchorDate: '2026-12-01',
          onDays: 4,
          offDays: 4,
          startTime: '06:00',
          endTime: '18:00',
          validFrom: '2026-11-01',
        },
        'UTC',
      ),
    );
    const days = async () => (await shifts(slug, rio, '2026-11-25T00:00:00Z', '2026-12-15T00:00:00Z')).map(([s]) => (s ?? '').slice(0, 10));
    // Cycle of 8 days anchored on 1 Dec: on 1–4, 9–12 Dec; going back, on 23–26 Nov.
    expect(await days()).toEqual([
      '2026-11-25',
      '2026-11-26',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-09',
      '2026-12-10',
      '2026-12-11',
      '2026-12-12',
    ]);
    await inTenant(slug, (tx) =>
      putShiftException(tx, dispatcherCaller(slug), { driverId: rio, onDate: '2026-12-02', kind: 'off' }, 'UTC'),
    );
    await inTenant(slug, (tx) =>
      putShiftException(
        tx,
        dispatcherCaller(slug),
        { driverId: rio, onDate: '2026-12-06', kind: 'work', startTime: '08:00', endTime: '12:00' },
        'UTC',
      ),
    );
    expect(await days()).toEqual([
      '2026-11-25',
      '2026-11-26',
      '2026-12-01',
      '2026-12-03',
      '2026-12-04',
      '2026-12-06',
      '2026-12-09',
      '2026-12-10',
      '2026-12-11',
      '2026-12-12',
    ]);
    expect(await availableAt(slug, rio, '2026-12-06T11:00:00Z')).toBe(true);
    expect(await availableAt(slug, rio, '2026-12-06T13:00:00Z')).toBe(false);
  });

  it('does not match an on-duty driver outside their shift, and explain says so; a driver on shift is matched', async () => {
    const { slug, fleet } = await setup('UTC', {
      types: { CR: ['CPCS'] },
      equipment: { CR: 1 },
      drivers: [{ name: 'Ann Ortiz', quals: ['CPCS'] }],
    });
    const ann = fleet.driverIds[0] ?? '';
    const now = new Date();
    const hour = now.getUTCHours();
    // A shift on every weekday that ended an hour ago (or starts later) today.
    const off = `${String((hour + 2) % 24).padStart(2, '0')}:00`;
    const offEnd = `${String((hour + 4) % 24).padStart(2, '0')}:00`;
    await weekdays(slug, ann, off, offEnd, [1, 2, 3, 4, 5, 6, 7]);
    const wo = await inTenant(slug, (tx) => createWorkOrder(tx, dispatcherCaller(slug), order(fleet)));
    const queued = await statusOf(slug, wo.id);
    expect(queued?.status).toBe('queued');
    const explain = await inTenant(slug, (tx) => explainDispatch(tx, dispatcherCaller(slug), queued?.id ?? ''));
    expect(explain.blockers.map((b) => b.kind)).toContain('drivers_off_shift');
    expect(explain.summary).toContain('Ann Ortiz — outside their shift');
    // A second, overlapping-free shift covering now: matched on the next sweep-like pass (a new work order matches the whole queue).
    await inTenant(slug, (tx) =>
      putShiftException(
        tx,
        dispatcherCaller(slug),
        {
          driverId: ann,
          onDate: now.toISOString().slice(0, 10),
          kind: 'work',
          startTime: `${String(hour).padStart(2, '0')}:00`,
          endTime: off,
        },
        'UTC',
      ),
    );
    const assigned = await statusOf(slug, wo.id);
    expect(assigned).toMatchObject({ status: 'dispatched', driver_id: ann });
  });

  it('keeps a driver on approved leave out of matching ("on leave until …"), and matches them when the leave is cancelled', async () => {
    const { slug, fleet } = await setup('UTC', {
      types: { CR: ['CPCS'] },
      equipment: { CR: 1 },
      drivers: [{ name: 'Bob', quals: ['CPCS'] }],
    });
    const bob = fleet.driverIds[0] ?? '';
    const today = new Date().toISOString().slice(0, 10);
    const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const leave = await inTenant(slug, (tx) =>
      requestTimeOff(tx, dispatcherCaller(slug), { driverId: bob, firstDay: today, lastDay: until }),
    );
    // Requested, not approved: still available.
    expect(await availableAt(slug, bob, new Date().toISOString())).toBe(true);
    await inTenant(slug, (tx) => decideTimeOff(tx, dispatcherCaller(slug), leave.id, leave.version, 'approved', 'enjoy'));
    const wo = await inTenant(slug, (tx) => createWorkOrder(tx, dispatcherCaller(slug), order(fleet)));
    const queued = await statusOf(slug, wo.id);
    expect(queued?.status).toBe('queued');
    const explain = await inTenant(slug, (tx) => explainDispatch(tx, dispatcherCaller(slug), queued?.id ?? ''));
    const weekday = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' })
      .format(new Date(`${until}T00:00:00Z`))
      .replace(',', '');
    expect(explain.summary).toBe(`Bob is on leave until ${weekday}`);
    await inTenant(slug, (tx) => decideTimeOff(tx, dispatcherCaller(slug), leave.id, leave.version + 1, 'cancelled', null));
    expect(await statusOf(slug, wo.id)).toMatchObject({ status: 'dispatched', driver_id: bob });
  });

  it('offers a job running past the shift end only when the tenant allows overtime', async () => {
    const spec = { types: { CR: ['CPCS'] }, equipment: { CR: 1 }, drivers: [{ name: 'Cy', quals: ['CPCS'] }] };
    for (const allowOvertime of [false, true]) {
      const { slug, fleet } = await setup('UTC', spec, allowOvertime);
      const cy = fleet.driverIds[0] ?? '';
      // The shift ends 30 minutes from now; a job without history is expected to last an hour.
      const now = Date.now();
      const start = new Date(now - 3_600_000).toISOString().slice(11, 16);
      const end = new Date(now + 30 * 60_000).toISOString().slice(11, 16);
      await weekdays(slug, cy, start, end, [1, 2, 3, 4, 5, 6, 7]);
      expect(await availableAt(slug, cy, new Date(now).toISOString(), 20 * 60)).toBe(true);
      const wo = await inTenant(slug, (tx) => createWorkOrder(tx, dispatcherCaller(slug), order(fleet)));
      expect((await statusOf(slug, wo.id))?.status).toBe(allowOvertime ? 'dispatched' : 'queued');
    }
  });

  it('skips a machine with a planned maintenance window during the job and names it in explain', async () => {
    const { slug, fleet } = await setup('UTC', {
      types: { CR: [] },
      equipment: { CR: 2 },
      drivers: [
        { name: 'Di', quals: [] },
        { name: 'Ed', quals: [] },
      ],
    });
    const [cr1, cr2] = fleet.equipmentIds.CR ?? [];
    // CR-1 goes to the workshop in 20 minutes (the job would last an hour); CR-2 is clear.
    await inTenant(slug, (tx) =>
      createMaintenanceWindow(tx, dispatcherCaller(slug), {
        equipmentId: cr1 ?? '',
        startsAt: new Date(Date.now() + 20 * 60_000).toISOString(),
        endsAt: new Date(Date.now() + 5 * 3_600_000).toISOString(),
        reason: 'LOLER inspection',
      }),
    );
    const first = await inTenant(slug, (tx) => createWorkOrder(tx, dispatcherCaller(slug), order(fleet)));
    expect((await statusOf(slug, first.id))?.equipment_id).toBe(cr2);
    const second = await inTenant(slug, (tx) => createWorkOrder(tx, dispatcherCaller(slug), order(fleet)));
    const queued = await statusOf(slug, second.id);
    expect(queued?.status).toBe('queued');
    const explain = await inTenant(slug, (tx) => explainDispatch(tx, dispatcherCaller(slug), queued?.id ?? ''));
    expect(explain.blockers.find((b) => b.kind === 'equipment_planned_maintenance')?.names[0]).toMatch(
      /^CR-1 — planned maintenance until .* \(LOLER inspection\)$/,
    );
  });
});
