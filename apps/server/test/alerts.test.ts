import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts, listAlerts } from '../src/modules/alerts/index.js';
import { createWorkOrder } from '../src/modules/dispatch/index.js';
import { setDriverDuty } from '../src/modules/people/index.js';
import { withTenant, type Database } from '../src/platform/db/index.js';
import { createTestTenant, openTestDatabase, testDbKind } from './support/db.js';
import { buildFleet, dispatcherCaller } from './support/fleet.js';

describe(`alerts on ${testDbKind()}`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('raises "queued too long" past the threshold, as a live event, and resolves it once assigned', async () => {
    const slug = (await createTestTenant(database, 'al')).slug;
    const fleet = await buildFleet(database, slug, { types: { VAN: [] }, equipment: { VAN: 1 }, drivers: [{ quals: [], onDuty: false }] });
    const wo = await withTenant(database.db, slug, (tx) =>
      createWorkOrder(tx, dispatcherCaller(slug), {
        siteId: fleet.siteId,
        description: 'x',
        priority: 'standard',
        lines: [{ equipmentTypeId: fleet.typeIds.VAN ?? '', quantity: 1 }],
      }),
    );
    const now = new Date();
    expect(await withTenant(database.db, slug, (tx) => evaluateAlerts(tx, now))).toEqual({ raised: 0, resolved: 0 });
    // Two hours and a minute later (the default threshold is 120 minutes):
    const later = new Date(now.getTime() + 121 * 60_000);
    expect(await withTenant(database.db, slug, (tx) => evaluateAlerts(tx, later))).toEqual({ raised: 1, resolved: 0 });
    const open = await withTenant(database.db, slug, (tx) => listAlerts(tx, { state: 'open', limit: 10 }));
    expect(open).toMatchObject([{ kind: 'queued_too_long', entityId: wo.dispatchIds[0] }]);
    const events = await withTenant(
      database.db,
      slug,
      async (tx) => (await sql<{ type: string }>`select type from live_events where type like 'alert.%'`.execute(tx)).rows,
    );
    expect(events.map((e) => e.type)).toEqual(['alert.raised']);
    // Raised once, not on every evaluation.
    expect(await withTenant(database.db, slug, (tx) => evaluateAlerts(tx, later))).toEqual({ raised: 0, resolved: 0 });
    await withTenant(database.db, slug, (tx) =>
      setDriverDuty(tx, dispatcherCaller(slug), fleet.driverIds[0] ?? '', undefined, { dutyStatus: 'on_duty' }),
    );
    expect(await withTenant(database.db, slug, (tx) => evaluateAlerts(tx, later))).toEqual({ raised: 0, resolved: 1 });
    expect(await withTenant(database.db, slug, (tx) => listAlerts(tx, { state: 'open', limit: 10 }))).toEqual([]);
  });

  it('raises urgent queue depth only after it lasted the set minutes, and expiring qualifications', async () => {
    const slug = (await createTestTenant(database, 'al')).slug;
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const fleet = await buildFleet(database, slug, {
      types: { CRANE: ['NCCCO'] },
      equipment: { CRANE: 1 },
      drivers: [{ name: 'Kim', quals: [{ code: 'NCCCO', expiresAt: soon }], onDuty: false }],
    });
    await withTenant(database.db, slug, (tx) =>
      sql`insert into tenant_settings (key, value) values ('alerts', '{"urgentDepth": 2, "urgentMinutes": 10}'::jsonb)`.execute(tx),
    );
    for (let i = 0; i < 2; i++) {
      await withTenant(database.db, slug, (tx) =>
        createWorkOrder(tx, dispatcherCaller(slug), {
          siteId: fleet.siteId,
          description: 'lift',
          priority: 'urgent',
          lines: [{ equipmentTypeId: fleet.typeIds.CRANE ?? '', quantity: 1 }],
        }),
      );
    }
    const now = new Date();
    await withTenant(database.db, slug, (tx) => evaluateAlerts(tx, now));
    const first = await withTenant(database.db, slug, (tx) => listAlerts(tx, { state: 'open', limit: 10 }));
    expect(first.map((a) => a.kind)).toEqual(['qualification_expiring']);
    expect(first[0]?.message).toContain("Kim's NCCCO expires on");
    await withTenant(database.db, slug, (tx) => evaluateAlerts(tx, new Date(now.getTime() + 11 * 60_000)));
    const after = await withTenant(database.db, slug, (tx) => listAlerts(tx, { state: 'open', limit: 10 }));
    expect(after.map((a) => a.kind).sort()).toEqual(['qualification_expiring', 'urgent_queue_depth']);
  });
});
