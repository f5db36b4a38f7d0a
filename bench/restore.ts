// npm run drill:restore — backup, point-in-time recovery and a per-tenant restore, end to end.
//   npm run drill:restore
// A scratch cluster (port 21201, folders under /tmp) with WAL archiving runs Yardmaster; the drill
// takes a base backup, writes more, marks a restore point, writes "the mistake", then recovers a new
// cluster (port 21202) from the base backup + WAL archive to the restore point, starts Yardmaster on
// it, verifies every tenant's audit chain and compares row counts. Then it restores ONE tenant's
// schema from the recovered cluster into the live one (docs/operations.md, "One tenant"), leaving
// the other tenant untouched. Stops everything it started; figures are printed last.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { migrations } from '../apps/server/src/migrations/index.js';
import { verifyAuditChain } from '../apps/server/src/modules/audit/index.js';
import { migrateAll, openDatabase, provisionTenant, withTenant, type Database } from '../apps/server/src/platform/db/index.js';
import { buildFleet } from '../apps/server/test/support/fleet.js';
import { createTestIdentity } from '../apps/server/test/support/identity.js';
import {
  PG_BIN,
  clusterAt,
  createCluster,
  mkdirOwned,
  ownRecursively,
  removeCluster,
  runAsPostgres,
  scratchDir,
  waitFor,
  writeOwned,
  type ScratchCluster,
} from '../apps/server/test/support/pg-cluster.js';

const [LIVE_PORT, RESTORED_PORT] = [21201, 21202];
const TENANTS = ['restore_a', 'restore_b'];
const TABLES = ['work_orders', 'dispatches', 'audit_events', 'status_reports'];
const DEADLINE_MS = Number(process.env.DRILL_TIMEOUT_MS ?? 180_000);

const root = scratchDir('restore');
const archive = mkdirOwned(path.join(root, 'wal-archive'));
const drillStarted = Date.now();
const failures: string[] = [];
const figures: string[] = [];
const opened: Database[] = [];
const apps: FastifyInstance[] = [];
let live: ScratchCluster | undefined;
let restored: ScratchCluster | undefined;
const timeout = setTimeout(() => {
  console.error(`drill:restore: time bound of ${DEADLINE_MS} ms exceeded`);
  void cleanup().finally(() => process.exit(1));
}, DEADLINE_MS);

async function cleanup(): Promise<void> {
  for (const app of apps.splice(0)) await app.close().catch(() => undefined);
  for (const database of opened.splice(0)) await database.close().catch(() => undefined);
  removeCluster(restored);
  removeCluster(live);
  rmSync(root, { recursive: true, force: true });
}

async function open(url: string): Promise<Database> {
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 4 });
  opened.push(database);
  return database;
}

type Counts = Record<string, Record<string, number>>;
async function countRows(database: Database): Promise<Counts> {
  const out: Counts = {};
  for (const slug of TENANTS) {
    out[slug] = {};
    for (const table of TABLES) {
      const n = await withTenant(database.db, slug, async (tx) =>
        Number((await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(tx)).rows[0]?.n),
      );
      out[slug][table] = n;
    }
  }
  return out;
}
const show = (counts: Counts | undefined, slug: string): string => TABLES.map((t) => `${t} ${counts?.[slug]?.[t] ?? '?'}`).join(', ');

try {
  // 1. A live cluster archiving its WAL, with Yardmaster and two tenants.
  live = createCluster({
    port: LIVE_PORT,
    prefix: 'live',
    conf: { archive_mode: 'on', archive_command: `'test ! -f ${archive}/%f && cp %p ${archive}/%f'`, archive_timeout: 60 },
  });
  execFileSync(`${PG_BIN}/createdb`, ['-h', '127.0.0.1', '-p', String(LIVE_PORT), '-U', 'postgres', 'yardmaster']);
  const liveUrl = live.url('yardmaster');
  const database = await open(liveUrl);
  await migrateAll(database.db, migrations);
  const identity = await createTestIdentity();
  const config = loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'production', SEED_DEMO: 'false', DATABASE_URL: liveUrl });
  const app = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent', sweepIntervalMs: 60_000 });
  apps.push(app);
  const fleets: Record<string, Awaited<ReturnType<typeof buildFleet>>> = {};
  for (const slug of TENANTS) {
    await provisionTenant(database.db, { slug, name: slug, timeZone: 'UTC' }, migrations.tenant);
    fleets[slug] = await buildFleet(database, slug, {
      types: { VAN: [] },
      equipment: { VAN: 4 },
      drivers: Array.from({ length: 4 }, () => ({ quals: [] })),
    });
  }
  const write = async (n: number, label: string): Promise<void> => {
    for (const slug of TENANTS) {
      const fleet = fleets[slug];
      const headers = { authorization: `Bearer ${await identity.token({ roles: ['dispatcher'], tenant: slug })}` };
      for (let i = 0; i < n; i++) {
        const created = await app.inject({
          method: 'POST',
          url: '/api/v1/work-orders',
          headers,
          payload: {
            siteId: fleet?.siteId,
            description: `${label} ${i}`,
            priority: 'standard',
            lines: [{ equipmentTypeId: fleet?.typeIds.VAN, quantity: 1 }],
          },
        });
        if (created.statusCode !== 201) throw new Error(`write failed: ${created.statusCode} ${created.body}`);
        const dispatchId = created.json<{ dispatchIds: string[] }>().dispatchIds[0];
        const d = await app.inject({ method: 'GET', url: `/api/v1/dispatches/${dispatchId}`, headers });
        if (d.json<{ status: string }>().status === 'dispatched') {
          await app.inject({
            method: 'POST',
            url: `/api/v1/dispatches/${dispatchId}/status`,
            headers: { ...headers, 'if-match': `"${d.json<{ version: number }>().version}"` },
            payload: { status: 'completed' },
          });
        }
      }
    }
  };
  await write(10, 'before the backup');

  // 2. Base backup, then more writes, a restore point, and the writes we want to undo.
  const backup = path.join(root, 'base');
  let started = Date.now();
  runAsPostgres(`${PG_BIN}/pg_basebackup`, ['-d', live.url(), '-D', backup, '-X', 'stream', '-c', 'fast']);
  const backupSeconds = (Date.now() - started) / 1000;
  const backupMb = Number(execFileSync('du', ['-sm', backup], { encoding: 'utf8' }).split('\t')[0]);
  await write(10, 'after the backup');
  await sql`select pg_create_restore_point('drill')`.execute(database.db);
  const atRestorePoint = await countRows(database);
  await write(5, 'the mistake');
  const afterMistake = await countRows(database);
  const { rows: switched } = await sql<{ wal: string }>`select pg_walfile_name(pg_switch_wal()) as wal`.execute(database.db);
  const segment = switched[0]?.wal ?? '';
  await waitFor(
    'the WAL archive',
    async () => {
      const { rows } = await sql<{ last: string | null }>`select last_archived_wal as last from pg_stat_archiver`.execute(database.db);
      return (rows[0]?.last ?? '') >= segment;
    },
    30_000,
    200,
  );
  const segments = readdirSync(archive).filter((f) => /^[0-9A-F]{24}$/.test(f)).length;
  for (const a of apps.splice(0)) await a.close();

  // 3. Point-in-time recovery into a new cluster: the base backup + the archive, up to the restore point.
  const target = scratchDir('pitr');
  cpSync(backup, target, { recursive: true });
  ownRecursively(target);
  writeOwned(path.join(target, 'recovery.signal'), '');
  writeOwned(
    path.join(target, 'postgresql.auto.conf'),
    [
      "listen_addresses = '127.0.0.1'",
      'fsync = off',
      "archive_mode = 'off'",
      `restore_command = 'cp ${archive}/%f %p'`,
      "recovery_target_name = 'drill'",
      "recovery_target_action = 'promote'",
    ].join('\n') + '\n',
  );
  rmSync(path.join(target, 'postmaster.pid'), { force: true });
  started = Date.now();
  restored = clusterAt(target, RESTORED_PORT);
  restored.start();
  const restoredUrl = restored.url('yardmaster');
  await waitFor(
    'recovery to finish',
    async () => {
      const probe = await open(restoredUrl);
      const { rows } = await sql<{ r: boolean }>`select pg_is_in_recovery() as r`.execute(probe.db);
      opened.splice(opened.indexOf(probe), 1);
      await probe.close();
      return rows[0]?.r === false;
    },
    60_000,
    250,
  );
  const recoverySeconds = (Date.now() - started) / 1000;

  // 4. Yardmaster on the recovered cluster: ready, audit chains intact, rows as at the restore point.
  const recoveredDb = await open(restoredUrl);
  const recoveredApp = await buildApp({
    config: loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'production', SEED_DEMO: 'false', DATABASE_URL: restoredUrl }),
    database: recoveredDb,
    trustedIssuer: identity.trusted,
    webDir: '/nonexistent',
    sweepIntervalMs: 60_000,
  });
  apps.push(recoveredApp);
  const ready = await recoveredApp.inject({ method: 'GET', url: '/readyz' });
  if (ready.statusCode !== 200) failures.push(`Yardmaster on the recovered cluster is not ready: ${ready.body}`);
  const recovered = await countRows(recoveredDb);
  const chains: string[] = [];
  for (const slug of TENANTS) {
    const admin = { authorization: `Bearer ${await identity.token({ roles: ['admin'], tenant: slug })}` };
    const verify = await recoveredApp.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: admin });
    const body = verify.json<{ ok: boolean; checked?: number; firstBroken?: unknown }>();
    chains.push(`${slug}: ${body.ok ? 'intact' : `BROKEN at ${JSON.stringify(body.firstBroken)}`} (${body.checked ?? 0} events checked)`);
    if (!body.ok) failures.push(`audit chain of ${slug} broken after recovery`);
    if (JSON.stringify(recovered[slug]) !== JSON.stringify(atRestorePoint[slug])) {
      failures.push(`${slug}: recovered ${show(recovered, slug)}; expected ${show(atRestorePoint, slug)}`);
    }
  }

  // 5. One tenant restored into the live database from the recovered cluster (docs/operations.md).
  const [victim, bystander] = TENANTS as [string, string];
  started = Date.now();
  const dump = path.join(root, `${victim}.dump`);
  runAsPostgres(`${PG_BIN}/pg_dump`, ['--format=custom', `--schema=t_${victim}`, `--file=${dump}`, restoredUrl]);
  await sql`alter schema ${sql.id(`t_${victim}`)} rename to ${sql.id(`t_${victim}_before_restore`)}`.execute(database.db);
  runAsPostgres(`${PG_BIN}/pg_restore`, ['--exit-on-error', `--dbname=${liveUrl}`, dump]);
  const tenantRestoreSeconds = (Date.now() - started) / 1000;
  const liveAfter = await countRows(database);
  const victimChain = await verifyAuditChain(database.db, victim);
  const bystanderChain = await verifyAuditChain(database.db, bystander);
  if (JSON.stringify(liveAfter[victim]) !== JSON.stringify(atRestorePoint[victim]))
    failures.push(`${victim} in live after its restore: ${show(liveAfter, victim)}`);
  if (JSON.stringify(liveAfter[bystander]) !== JSON.stringify(afterMistake[bystander]))
    failures.push(`${bystander} changed by another tenant's restore`);
  if (!victimChain.ok || !bystanderChain.ok) failures.push('an audit chain is broken in live after the per-tenant restore');
  // The restored tenant works: a new write through Yardmaster on the live database.
  const liveApp = await buildApp({ config, database, trustedIssuer: identity.trusted, webDir: '/nonexistent', sweepIntervalMs: 60_000 });
  apps.push(liveApp);
  const again = await liveApp.inject({
    method: 'POST',
    url: '/api/v1/work-orders',
    headers: { authorization: `Bearer ${await identity.token({ roles: ['dispatcher'], tenant: victim })}` },
    payload: {
      siteId: fleets[victim]?.siteId,
      description: 'after the restore',
      priority: 'standard',
      lines: [{ equipmentTypeId: fleets[victim]?.typeIds.VAN, quantity: 1 }],
    },
  });
  if (again.statusCode !== 201) failures.push(`writing to the restored tenant failed: ${again.statusCode} ${again.body}`);
  if (!(await verifyAuditChain(database.db, victim)).ok) failures.push('audit chain broken by the first write after the restore');

  figures.push(
    `base backup: ${backupMb} MB in ${backupSeconds.toFixed(1)} s; WAL archive: ${segments} segments`,
    `point-in-time recovery to restore point 'drill': ${recoverySeconds.toFixed(1)} s`,
    ...TENANTS.map(
      (slug) =>
        `${slug}: at the restore point ${show(atRestorePoint, slug)} | after the mistake ${show(afterMistake, slug)} | recovered ${show(recovered, slug)}`,
    ),
    `audit chains on the recovered cluster: ${chains.join('; ')}`,
    `per-tenant restore of t_${victim} into the live database: ${tenantRestoreSeconds.toFixed(1)} s; ${victim} now ${show(liveAfter, victim)}; ${bystander} untouched (${show(liveAfter, bystander)}); chains ${victimChain.ok && bystanderChain.ok ? 'intact' : 'BROKEN'}`,
  );
} catch (error) {
  failures.push(`drill error: ${(error as Error).stack ?? String(error)}`);
  if (live) console.error(live.log().slice(-3_000));
  if (restored) console.error(restored.log().slice(-3_000));
} finally {
  clearTimeout(timeout);
  await cleanup();
}

console.log(
  `machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? ''}; PostgreSQL 15 (Debian)`,
);
for (const line of figures) console.log(line);
console.log(`drill time (start to clean-up done): ${((Date.now() - drillStarted) / 1000).toFixed(1)} s`);
if (failures.length > 0) {
  console.log(`FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('drill:restore passed');
process.exit(0);
