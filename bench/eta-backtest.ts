// npm run bench:eta — backtest of the ETA to assignment (GET /api/v1/planning/eta) on generated
// benchmark data, in compressed time. Not part of npm test. Embedded PGlite in a temporary folder.
//   ROUNDS=3 QUEUE=12 MIN_S=4 MAX_S=8 npm run bench:eta
// Fleet: 2 cranes (CPCS; 3 CPCS drivers) and 2 vans (2 more drivers). Warm-up: 10 jobs per type with
// lengths drawn uniformly in [MIN_S, MAX_S] seconds, so the status reports hold a typical length.
// Each round: QUEUE requests (half cranes, half vans) are created while every machine is busy; the
// ETA of each queued one is taken at once; jobs then finish after random lengths in the same range
// and the engine assigns the queue. Error = |estimated − actual assignment time|.
// Prints the median and p90 absolute error in seconds and as a share of the mean job length.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { migrations } from '../apps/server/src/migrations/index.js';
import { advanceDispatch, createWorkOrder, wireDispatchToCapacity } from '../apps/server/src/modules/dispatch/index.js';
import { estimateQueue } from '../apps/server/src/modules/planning/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant } from '../apps/server/src/platform/db/index.js';

import { buildFleet, dispatcherCaller } from '../apps/server/test/support/fleet.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const QUEUE = Number(process.env.QUEUE ?? 12);
const MIN_S = Number(process.env.MIN_S ?? 4);
const MAX_S = Number(process.env.MAX_S ?? 8);
const WARMUP = 10;

let seed = Number(process.env.SEED ?? 18);
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const jobMs = (): number => (MIN_S + random() * (MAX_S - MIN_S)) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(path.join(os.tmpdir(), 'ym-eta-'));
wireDispatchToCapacity({ warn: (obj, msg) => console.warn(msg, obj.err) });
const database = await openDatabase({ kind: 'embedded', dataDir: dir });
try {
  await migrateAll(database.db, migrations);
  const tenant = await provisionTenant(database.db, { slug: 'eta_backtest', name: 'ETA backtest', timeZone: 'UTC' }, migrations.tenant);
  const slug = tenant.slug;
  const caller = dispatcherCaller(slug);
  const fleet = await buildFleet(database, slug, {
    types: { CR: ['CPCS'], VAN: [] },
    equipment: { CR: 2, VAN: 2 },
    drivers: [{ quals: ['CPCS'] }, { quals: ['CPCS'] }, { quals: ['CPCS'] }, { quals: [] }, { quals: [] }],
  });
  const order = (type: 'CR' | 'VAN') => ({
    siteId: fleet.siteId,
    description: 'backtest',
    priority: 'standard' as const,
    lines: [{ equipmentTypeId: fleet.typeIds[type] ?? '', quantity: 1 }],
  });

  // The world: every dispatched job finishes after its own random length.
  const finishing = new Set<string>();
  let stop = false;
  const world = (async () => {
    while (!stop) {
      const active = await withTenant(
        database.db,
        slug,
        async (tx) =>
          (
            await sql<{
              id: string;
              version: number;
              dispatched_at: Date;
            }>`select id, version, dispatched_at from dispatches where status = 'dispatched'`.execute(tx)
          ).rows,
      );
      for (const d of active) {
        if (finishing.has(d.id)) continue;
        finishing.add(d.id);
        const wait = Math.max(0, new Date(d.dispatched_at).getTime() + jobMs() - Date.now());
        setTimeout(() => {
          void withTenant(database.db, slug, async (tx) => {
            const v =
              (await sql<{ version: number }>`select version from dispatches where id = ${d.id}`.execute(tx)).rows[0]?.version ?? d.version;
            await advanceDispatch(tx, caller, d.id, v, { status: 'completed' });
          }).catch((error: unknown) => console.warn('finish failed', error));
        }, wait);
      }
      await sleep(100);
    }
  })();
  const drained = async () => {
    for (;;) {
      const open = await withTenant(
        database.db,
        slug,
        async (tx) =>
          (await sql<{ n: number }>`select count(*)::int as n from dispatches where status in ('queued', 'dispatched')`.execute(tx)).rows[0]
            ?.n ?? 0,
      );
      if (open === 0) return;
      await sleep(250);
    }
  };

  // Warm-up: history for the typical lengths.
  for (let i = 0; i < WARMUP / 2; i++) {
    await withTenant(database.db, slug, async (tx) => {
      for (const type of ['CR', 'CR', 'VAN', 'VAN'] as const) await createWorkOrder(tx, caller, order(type));
    });
    await drained();
  }

  const errors: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const estimates = await withTenant(database.db, slug, async (tx) => {
      for (let i = 0; i < QUEUE + 4; i++) await createWorkOrder(tx, caller, order(i % 2 === 0 ? 'CR' : 'VAN'));
      return estimateQueue(tx, 'UTC');
    });
    await drained();
    const actual = await withTenant(
      database.db,
      slug,
      async (tx) =>
        (
          await sql<{
            id: string;
            dispatched_at: Date;
          }>`select id, dispatched_at from dispatches where id = any(${estimates.items.map((i) => i.dispatchId)}::uuid[])`.execute(tx)
        ).rows,
    );
    const at = new Map(actual.map((a) => [a.id, new Date(a.dispatched_at).getTime()]));
    for (const item of estimates.items) {
      const real = at.get(item.dispatchId);
      if (item.estimatedAssignmentAt && real) errors.push(Math.abs(Date.parse(item.estimatedAssignmentAt) - real) / 1000);
    }
    console.log(`round ${round + 1}: ${estimates.items.length} queued requests estimated`);
  }
  stop = true;
  await world;
  const mean = await withTenant(
    database.db,
    slug,
    async (tx) =>
      (
        await sql<{
          s: number;
        }>`select avg(extract(epoch from (completed_at - dispatched_at)))::float8 as s from status_reports where final_status = 'completed'`.execute(
          tx,
        )
      ).rows[0]?.s ?? 0,
  );
  errors.sort((a, b) => a - b);
  const q = (p: number) => errors[Math.min(errors.length - 1, Math.floor(p * errors.length))] ?? 0;
  console.log(`samples: ${errors.length}; mean job length ${mean.toFixed(2)} s (drawn uniformly in ${MIN_S}–${MAX_S} s)`);
  console.log(
    `ETA median absolute error: ${q(0.5).toFixed(2)} s (${((q(0.5) / mean) * 100).toFixed(0)}% of a job); p90 ${q(0.9).toFixed(2)} s`,
  );
} finally {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
