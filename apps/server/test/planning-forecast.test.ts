import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkOrder } from '../src/modules/dispatch/index.js';
import { evaluateAlerts, listAlerts } from '../src/modules/alerts/index.js';
import { DEFAULT_PLANNING_SETTINGS, writePlanningSettings } from '../src/modules/availability/index.js';
import { checkCapacity, estimateQueue, forecastQualificationImpact } from '../src/modules/planning/index.js';
import { EVERY_REGION } from '../src/modules/regions/index.js';
import { forecastCsv } from '../src/modules/planning/forecasts.js';
import { createShiftPattern } from '../src/modules/planning/shifts.js';
import { decideTimeOff, requestTimeOff } from '../src/modules/planning/time-off.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller } from './support/fleet.js';

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const say = (d: string): string =>
  new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' })
    .format(new Date(`${d}T00:00:00Z`))
    .replace(',', '');

describe(`planning forecasts on ${testDbKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  /**
   * Worked out by hand. Crane (CR) work needs CPCS. Dee, Eve and Fay hold it and work every day
   * 06:00–18:00 UTC. Dee's CPCS expires on day +3 at noon; Fay is on approved leave on day +5.
   * Day +2: 2 crane jobs, 3 qualified on shift (Dee, Eve, Fay) — fine. Day +5: 3 crane jobs at
   * 09:00, 10:00 and 11:00; Dee's ticket has expired and Fay is on leave, so 1 qualified driver
   * (Eve) is on shift: "On <day+5> 3 CR jobs have 1 qualified driver on shift: Dee's CPCS expires on <day+3>."
   * Capacity for 2 more cranes at day+5 10:00 (1 hour): the one machine is held by the 10:00 job
   * (the 09:00 one ends at 10:00, the 11:00 one starts after), so 0 machines; Eve is the only
   * qualified driver on shift and the 10:00 job holds one: 0 drivers — two warnings.
   */
  it('forecasts day by day which work will have too few qualified drivers on shift, and why; checks capacity before booking', async () => {
    const tenant = await createTestTenant(database, 'plf');
    const slug = tenant.slug;
    const caller = dispatcherCaller(slug);
    const fleet = await buildFleet(database, slug, {
      types: { CR: ['CPCS'] },
      equipment: { CR: 1 },
      drivers: [
        { name: 'Dee', quals: [{ code: 'CPCS', expiresAt: `${day(3)}T12:00:00Z` }], onDuty: false },
        { name: 'Eve', quals: ['CPCS'], onDuty: false },
        { name: 'Fay', quals: ['CPCS'], onDuty: false },
      ],
    });
    const [, , fay] = fleet.driverIds;
    await withTenant(database.db, slug, async (tx) => {
      await writePlanningSettings(tx, { ...DEFAULT_PLANNING_SETTINGS, timeZone: 'UTC' });
      for (const driverId of fleet.driverIds)
        await createShiftPattern(
          tx,
          caller,
          { driverId, kind: 'weekly', weekdays: [1, 2, 3, 4, 5, 6, 7], startTime: '06:00', endTime: '18:00', validFrom: day(-1) },
          'UTC',
        );
      const leave = await requestTimeOff(tx, caller, { driverId: fay ?? '', firstDay: day(5), lastDay: day(5) });
      await decideTimeOff(tx, caller, leave.id, leave.version, 'approved', null);
      const job = (at: string) =>
        createWorkOrder(tx, caller, {
          siteId: fleet.siteId,
          description: 'lift',
          priority: 'standard',
          requestedStart: at,
          lines: [{ equipmentTypeId: fleet.typeIds.CR ?? '', quantity: 1 }],
        });
      await job(`${day(2)}T09:00:00Z`);
      await job(`${day(2)}T13:00:00Z`);
      for (const h of ['09', '10', '11']) await job(`${day(5)}T${h}:00:00Z`);
    });

    const forecast = await withTenant(database.db, slug, (tx) => forecastQualificationImpact(tx, EVERY_REGION, 7, 'UTC'));
    expect(forecast.expiries).toEqual([{ driverId: fleet.driverIds[0], driverName: 'Dee', qualificationCode: 'CPCS', expiresOn: day(3) }]);
    expect(forecast.problems).toEqual([
      {
        day: day(5),
        equipmentTypeId: fleet.typeIds.CR,
        typeCode: 'CR',
        region: null,
        jobs: 3,
        qualifiedOnShift: 1,
        expired: [{ driverName: 'Dee', qualificationCode: 'CPCS', expiresOn: day(3) }],
        message: `On ${say(day(5))} 3 CR jobs have 1 qualified driver on shift: Dee's CPCS expires on ${say(day(3))}.`,
      },
    ]);
    // The same finding is an alert.
    await withTenant(database.db, slug, (tx) => evaluateAlerts(tx));
    const alerts = await withTenant(database.db, slug, (tx) => listAlerts(tx, { state: 'open', limit: 50 }));
    expect(alerts.filter((a) => a.kind === 'qualification_shortfall').map((a) => a.message)).toEqual([forecast.problems[0]?.message]);
    const csv = forecastCsv(forecast).split('\r\n');
    expect(csv[0]).toBe('section,day,type,region,jobs,qualified_on_shift,driver,qualification,expires_on,message');
    expect(csv[1]).toBe(
      `shortfall,${day(5)},CR,,3,1,Dee,CPCS,${day(3)},On ${say(day(5))} 3 CR jobs have 1 qualified driver on shift: Dee's CPCS expires on ${say(day(3))}.`,
    );
    expect(csv[2]).toBe(`expiry,${day(3)},,,,,Dee,CPCS,${day(3)},`);

    const capacity = await withTenant(database.db, slug, (tx) =>
      checkCapacity(
        tx,
        { at: `${day(5)}T10:00:00Z`, lines: [{ equipmentTypeId: fleet.typeIds.CR ?? '', quantity: 2 }], durationMinutes: 60 },
        'UTC',
      ),
    );
    expect(capacity.ok).toBe(false);
    expect(capacity.lines).toEqual([{ equipmentTypeId: fleet.typeIds.CR, typeCode: 'CR', needed: 2, machines: 0, drivers: 0 }]);
    expect(capacity.warnings).toHaveLength(2);
    const fine = await withTenant(database.db, slug, (tx) =>
      checkCapacity(
        tx,
        { at: `${day(2)}T15:00:00Z`, lines: [{ equipmentTypeId: fleet.typeIds.CR ?? '', quantity: 1 }], durationMinutes: 60 },
        'UTC',
      ),
    );
    expect(fine).toMatchObject({ ok: true, warnings: [], lines: [{ machines: 1, drivers: 3 }] });
  });

  it('estimates the time to assignment of every queued request from the jobs ahead and shifts, with its basis', async () => {
    const tenant = await createTestTenant(database, 'ple');
    const slug = tenant.slug;
    const caller = dispatcherCaller(slug);
    const fleet = await buildFleet(database, slug, {
      types: { CR: [] },
      equipment: { CR: 1 },
      drivers: [
        { name: 'Gus', quals: [] },
        { name: 'Hal', quals: [], onDuty: false },
      ],
    });
    const created = await withTenant(database.db, slug, async (tx) => {
      const out = [];
      for (let i = 0; i < 3; i++)
        out.push(
          await createWorkOrder(tx, caller, {
            siteId: fleet.siteId,
            description: `job ${i}`,
            priority: 'standard',
            lines: [{ equipmentTypeId: fleet.typeIds.CR ?? '', quantity: 1 }],
          }),
        );
      return out;
    });
    // The first took the only crane with Gus; the other two queue behind a job expected to last 1 hour (no history).
    const eta = await withTenant(database.db, slug, (tx) => estimateQueue(tx, 'UTC'));
    expect(eta.items.map((i) => i.workOrderNumber)).toEqual([created[1]?.number, created[2]?.number]);
    const [second, third] = eta.items;
    const start = Date.parse(second?.estimatedAssignmentAt ?? '');
    expect(Math.abs(start - (Date.now() + 3_600_000))).toBeLessThan(120_000);
    expect(Date.parse(third?.estimatedAssignmentAt ?? '') - start).toBe(3_600_000);
    expect(second?.basis[0]).toBe('#1 of the queued CR requests');
    expect(second?.basis[1]).toMatch(
      new RegExp(`^machine: CR-1 on ${created[0]?.number ?? ''} \\(no finished jobs of the type in 90 days: 1 hour assumed\\)$`),
    );
    expect(third?.basis[1]).toBe(
      `machine: CR-1 after ${created[1]?.number ?? ''} (no finished jobs of the type in 90 days: 1 hour assumed)`,
    );
  });
});
