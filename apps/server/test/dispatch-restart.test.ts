import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createWorkOrder, sweepTenant } from '../src/modules/dispatch/index.js';
import { setDriverDuty } from '../src/modules/people/index.js';
import { migrations } from '../src/migrations/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant, type Database, type DatabaseSettings } from '../src/platform/db/index.js';
import { testDbKind, uniqueSlug, wireModulesLikeTheApp } from './support/db.js';
import { buildFleet, dispatcherCaller } from './support/fleet.js';

describe(`queue and timers survive a restart on ${testDbKind()}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ym-restart-'));
  const settings: DatabaseSettings =
    testDbKind() === 'postgres' ? { kind: 'postgres', url: inject('postgresUrl'), poolSize: 4 } : { kind: 'embedded', dataDir: dir };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps queued and scheduled dispatches across close and reopen, then fulfils them', async () => {
    wireModulesLikeTheApp();
    let database: Database = await openDatabase(settings);
    await migrateAll(database.db, migrations);
    const slug = uniqueSlug('rs');
    await provisionTenant(database.db, { slug, name: 'Restart', timeZone: 'UTC' }, migrations.tenant);
    const fleet = await buildFleet(database, slug, { types: { VAN: [] }, equipment: { VAN: 2 }, drivers: [{ quals: [], onDuty: false }] });
    const caller = dispatcherCaller(slug);
    const queued = await withTenant(database.db, slug, (tx) =>
      createWorkOrder(tx, caller, {
        siteId: fleet.siteId,
        description: 'now',
        priority: 'standard',
        lines: [{ equipmentTypeId: fleet.typeIds.VAN ?? '', quantity: 1 }],
      }),
    );
    const later = await withTenant(database.db, slug, (tx) =>
      createWorkOrder(tx, caller, {
        siteId: fleet.siteId,
        description: 'later',
        priority: 'standard',
        requestedStart: new Date(Date.now() + 6 * 3600_000).toISOString(),
        lines: [{ equipmentTypeId: fleet.typeIds.VAN ?? '', quantity: 1 }],
      }),
    );
    await database.close();

    // "Restart": a new process opens the same database.
    database = await openDatabase(settings);
    try {
      await migrateAll(database.db, migrations);
      const status = (id: string) =>
        withTenant(
          database.db,
          slug,
          async (tx) =>
            (await sql<{ status: string }>`select status from dispatches where work_order_id = ${id}`.execute(tx)).rows[0]?.status,
        );
      expect(await status(queued.id)).toBe('queued');
      expect(await status(later.id)).toBe('scheduled');
      await withTenant(database.db, slug, (tx) =>
        setDriverDuty(tx, caller, fleet.driverIds[0] ?? '', undefined, { dutyStatus: 'on_duty' }),
      );
      expect(await status(queued.id)).toBe('dispatched');
      // The timer is a row, not a setTimeout: once its time has come, the sweep queues it.
      await withTenant(database.db, slug, (tx) =>
        sql`update dispatches set requested_start = now() where work_order_id = ${later.id}`.execute(tx),
      );
      expect((await sweepTenant(database, slug)).promoted).toBe(1);
      expect(await status(later.id)).toBe('queued');
    } finally {
      await database.close();
    }
  });
});
