import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, openTestDatabase, testDbKind } from '../../test/support/db.js';
import { withTenant, type Database, type TenantRecord } from './db/index.js';
import { forEachTenant, type SchedulerLog } from './scheduler.js';

describe(`forEachTenant on ${testDbKind()}`, () => {
  let database: Database;
  let broken: TenantRecord;
  let healthy: TenantRecord;

  beforeAll(async () => {
    database = await openTestDatabase();
    broken = await createTestTenant(database, 'sched');
    healthy = await createTestTenant(database, 'sched');
  });
  afterAll(async () => {
    await database.close();
  });

  it("logs one tenant's failure with the job and the tenant, and still runs the others", async () => {
    const entries: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const log: SchedulerLog = { warn: (obj, msg) => entries.push({ obj, msg }) };
    const reached: string[] = [];
    await forEachTenant(database.db, 'test sweep', log, async (slug) => {
      if (slug === broken.slug)
        await withTenant(database.db, slug, (tx) =>
          tx
            .selectFrom('no_such_table' as never)
            .selectAll()
            .execute(),
        );
      if (slug === healthy.slug) await withTenant(database.db, slug, async () => void reached.push(slug));
    });
    expect(reached).toEqual([healthy.slug]);
    const failures = entries.filter((e) => e.obj.tenant === broken.slug);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.obj.job).toBe('test sweep');
    expect(failures[0]?.obj.err).toBeInstanceOf(Error);
    expect(entries.some((e) => e.obj.tenant === healthy.slug)).toBe(false);
  });
});
